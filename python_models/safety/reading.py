"""A generic reading of each sentence: chunks of content words, each with its polarity.

The lexicon of ``mentions`` names the findings it knows; a report names many more ("Murphy
sign", "intramedullary T2 signal abnormality", "menisci"). This module reads any wording the
way NegEx/ConText does: each sentence (segment) is cut into chunks at clause boundaries
(commas, semicolons, colons, "with", "and", "but", ...), each chunk gets a polarity from the
negation scopes that ``mentions`` computes (trigger words with their scope, pseudo-triggers,
termination words) or from a normal-statement word ("intact", "unremarkable", "patent"), and
its content words are reduced to the short stems of the shared reading
(``python_models.reading.clauses``) so that "meniscus"/"menisci" or "occluded"/"occlusion"
meet. The organ header a sentence sits under ("Medial meniscus:", "RIGHT:"), as
``python_models.reading.sentences.split_sentences`` labels it, is the subject of what follows,
so its stems belong to each chunk of the sentence.

Checks compare chunks, never phrases from a list: an impression chunk whose every content stem
stands in a findings chunk of the opposite polarity contradicts the findings; an affirmed
findings sentence with an acute cue that no impression sentence shares content stems with was
left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from python_models.reading.clauses import content_stems, span_labels
from python_models.reading.clauses import short_stem as stem
from python_models.reading.vocabulary import ABNORMAL_SHAPE
from python_models.safety.mentions import (
    Parsed,
    benign_nodes_sentence,
    covered_by_negation,
    lower_same_length,
    names_a_finding,
)

# Words that only place a finding: they narrow a statement but never name what it is about.
QUALIFIERS = frozenset(
    """left right bilateral bilaterally both sided medial lateral anterior posterior superior
    inferior upper lower proximal distal mid middle central peripheral dorsal ventral
    apical basal basilar internal external""".split()
)
# A statement that an organ is normal ("intact menisci", "patent", "unremarkable").
NORMAL_WORDS = frozenset(
    """normal normally unremarkable intact preserved patent compressible clear maintained
    negative congruent""".split()
)
# Matched as whole words: a short stem would read "compression" as "compressible" and
# "congruity" as "congruent".
# (not inside a negated form: "non-compressible", "incompressible" are abnormal)
_NORMAL_WORD_RE = re.compile(r"(?<!non-)(?<!non)\b(?:" + "|".join(sorted(NORMAL_WORDS)) + r")\b")
# Clause boundaries inside a sentence: a delimiter, or a connecting word (dropped).
_CHUNK_BREAK_RE = re.compile(
    r"[,;:()]|\b(?:with|and|or|but|which|while|whereas|including)\b|(?=\bwithout\b)"
)

POSITIVE = "affirmed"
NEGATED = "negated"
NORMAL = "normal"


@dataclass(frozen=True)
class Chunk:
    """One clause of a sentence."""

    segment: int
    start: int
    end: int
    polarity: str  # POSITIVE | NEGATED | NORMAL
    stems: frozenset[str]  # content stems of the chunk itself
    # content stems of the organ header of its line, if any (of the clause a relative clause
    # speaks of: "..., which remains patent")
    header: frozenset[str]
    normal: frozenset[str] = frozenset()  # stems of its normal words ("intact", "patent")
    abnormal: bool = False  # a word of abnormal shape, a degree or a lexicon finding in it

    @property
    def about(self) -> frozenset[str]:
        """What the chunk is about: its own stems and its header's."""
        return self.stems | self.header

    @property
    def core(self) -> frozenset[str]:
        """Its own stems that name something: no qualifier, no normal word."""
        return frozenset(s for s in self.stems if s not in _QUALIFIER_STEMS | self.normal)

    @property
    def denies(self) -> bool:
        return self.polarity != POSITIVE


_QUALIFIER_STEMS = frozenset(stem(w) for w in QUALIFIERS)


def qualifiers(stems: frozenset[str]) -> frozenset[str]:
    return frozenset(s for s in stems if s in _QUALIFIER_STEMS)


_OPPOSITE_PAIRS = tuple(
    (stem(a), stem(b))
    for a, b in (
        ("left", "right"),
        ("medial", "lateral"),
        ("anterior", "posterior"),
        ("superior", "inferior"),
        ("upper", "lower"),
        ("proximal", "distal"),
        ("dorsal", "ventral"),
    )
)


def conflicting(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of qualifiers place things apart: one says left and the other right
    (and neither says both), one medial and the other lateral, ..."""
    for x, y in _OPPOSITE_PAIRS:
        if (x in a and y not in a and y in b and x not in b) or (
            y in a and x not in a and x in b and y not in b
        ):
            return True
    return False


@dataclass(frozen=True)
class Reading:
    chunks: tuple[Chunk, ...]
    segment_stems: tuple[frozenset[str], ...]  # per segment: its stems and its header's


@lru_cache(maxsize=256)
def _read(text: str, segments: tuple[tuple[int, int], ...]) -> Reading:
    low = lower_same_length(text)
    chunks: list[Chunk] = []
    seg_stems: list[frozenset[str]] = []
    labels = span_labels(text, segments)
    for index, ((s0, s1), (label, header_end)) in enumerate(zip(segments, labels, strict=True)):
        header = frozenset(s for s, _ in content_stems(label.lower()))
        all_stems: set[str] = set(header)
        cuts = [s0, *(m.start() + s0 for m in _CHUNK_BREAK_RE.finditer(low[s0:s1])), s1]
        for a, b in zip(cuts, cuts[1:], strict=False):
            if header_end > a:  # the header itself is not a statement
                a = max(a, header_end)
            if a >= b:
                continue
            words = [(s, a + off) for s, off in content_stems(low[a:b])]
            words = [(s, p) for s, p in words if s not in ("with", "and", "or", "but")]
            if not words:
                continue
            stems = frozenset(s for s, _ in words)
            all_stems |= stems
            negated = [covered_by_negation(low, (s0, s1), p) for s, p in words]
            normal = frozenset(stem(m.group()) for m in _NORMAL_WORD_RE.finditer(low, a, b))
            if any(negated):
                polarity = NEGATED
            elif normal:
                polarity = NORMAL
            else:
                polarity = POSITIVE
            abnormal = _says_abnormal(low[a:b]) and not (
                _NODES_ONLY_RE.fullmatch(low[a:b]) and benign_nodes_sentence(low, s0, s1)
            )
            about = header
            previous = chunks[-1] if chunks and chunks[-1].segment == index else None
            if polarity != POSITIVE and previous and _RELATIVE_RE.match(low, a):
                # "... mass effect on the airway, which remains patent": the airway is patent
                about = header | previous.stems
            elif previous and not previous.core and _COORDINATED_RE.match(low, a):
                # "severe left and mild right foraminal stenosis": the left one is stenosis too
                about = header | previous.stems
            chunks.append(Chunk(index, a, b, polarity, stems, about, normal, abnormal))
        _share_normal_predicate(low, chunks)
        seg_stems.append(frozenset(all_stems))
    return Reading(tuple(chunks), tuple(seg_stems))


# A clause joined to one of qualifiers only shares its noun with it ("severe left and mild
# right neural foraminal stenosis").
_COORDINATED_RE = re.compile(r"[\s,]*(?:and|or)\b")
# A clause naming lymph nodes and nothing abnormal of them ("three lymph nodes"), read with its
# sentence ("... with thin cortices and fatty hila": benign, `mentions.benign_nodes_sentence`).
_NODES_ONLY_RE = re.compile(r"[\s,;]*(?:[\w-]+\s+){0,3}lymph nodes?\s*")
# A relative clause speaks of the clause before it ("..., which remains patent").
_RELATIVE_RE = re.compile(r"[\s,;]*(?:which|that|who)\b")


# A degree, or a sign or test said to be positive ("Murphy sign is positive").
_ABNORMAL_WORD_RE = re.compile(
    r"\b(?:mild|mildly|moderate|moderately|severe|severely|marked|markedly|positive)\b"
)


# Fluids that are normal structures, not collections: "amniotic fluid index 9.2 cm".
_NORMAL_FLUID_RE = re.compile(r"\b(?:amniotic|cerebrospinal)\s+fluid\b")


def _says_abnormal(low: str) -> bool:
    """Whether a clause states something abnormal rather than only describing or measuring
    ("length 38 mm", "homogeneous tracer distribution", "visualized at 15 minutes"): a word of
    abnormal shape, a degree, "positive", or a lexicon finding."""
    low = _NORMAL_FLUID_RE.sub(" ", low)
    if _ABNORMAL_WORD_RE.search(low) or names_a_finding(low):
        return True
    return any(ABNORMAL_SHAPE.search(w) for w in _WORD_RE.findall(low))


_COORDINATION_RE = re.compile(r"\s*(?:and|or)\b")
_WORD_RE = re.compile(r"[a-z][a-z'-]*|\d")


def _share_normal_predicate(low: str, chunks: list[Chunk]) -> None:
    """A normal predicate is said of every conjunct it is coordinated with that says nothing of
    its own: after them ("ACL and PCL intact", "anatomy survey complete and normal") or leading
    them ("patent splenic and portal veins", "normal liver and spleen"). A conjunct that names a
    finding ("small effusion and lungs clear") or holds a number keeps its own polarity."""
    for k in range(len(chunks) - 1, 0, -1):  # a predicate after: from the last conjunct back
        after, before = chunks[k], chunks[k - 1]
        if (
            after.polarity == NORMAL
            and before.polarity == POSITIVE
            and _bare_conjunct(low, before, after, before)
        ):
            chunks[k - 1] = replace(before, polarity=NORMAL, normal=after.normal)
    for k in range(1, len(chunks)):  # a leading predicate: from the first conjunct on
        before, after = chunks[k - 1], chunks[k]
        if (
            before.polarity == NORMAL
            and after.polarity == POSITIVE
            and _leads_with_normal_word(low, before)
            and _bare_conjunct(low, before, after, after)
        ):
            chunks[k] = replace(after, polarity=NORMAL, normal=before.normal)


def _bare_conjunct(low: str, before: Chunk, after: Chunk, conjunct: Chunk) -> bool:
    """``before`` and ``after`` are adjacent conjuncts of one sentence joined by "and"/"or", and
    ``conjunct`` (one of them) names no finding and holds no number."""
    if (
        before.segment != after.segment
        or low[before.end : after.start].strip()
        or not _COORDINATION_RE.match(low, after.start, after.end)
    ):
        return False
    text = low[conjunct.start : conjunct.end]
    words = _WORD_RE.findall(text)
    if any(w.isdigit() or ABNORMAL_SHAPE.search(w) for w in words):
        return False
    return not names_a_finding(text)


def _leads_with_normal_word(low: str, chunk: Chunk) -> bool:
    """The chunk's first word is a normal predicate ("Patent splenic", "normal liver")."""
    first = _WORD_RE.search(low, chunk.start, chunk.end)
    return first is not None and _NORMAL_WORD_RE.fullmatch(first.group()) is not None


def read(parsed: Parsed) -> Reading:
    """The chunks of a parsed text (cached per text)."""
    return _read(parsed.text, tuple(parsed.segments))
