"""A generic reading of each sentence: chunks of content words, each with its polarity.

The lexicon of ``mentions`` names the findings it knows; a report names many more ("Murphy
sign", "intramedullary T2 signal abnormality", "menisci"). This module reads any wording the
way NegEx/ConText does: each sentence (segment) is cut into chunks at clause boundaries
(commas, semicolons, colons, "with", "and", "but", ...), each chunk gets a polarity from the
negation scopes that ``mentions`` computes (trigger words with their scope, pseudo-triggers,
termination words) or from a normal-statement word ("intact", "unremarkable", "patent"), and
its content words are reduced to short stems so that "meniscus"/"menisci" or
"occluded"/"occlusion" meet. An organ header at the start of a findings line ("Medial
meniscus:", "RIGHT:") is the subject of what follows on that line, so its stems belong to each
chunk of the line.

Checks compare chunks, never phrases from a list: an impression chunk whose every content stem
stands in a findings chunk of the opposite polarity contradicts the findings; an affirmed
findings sentence with an acute cue that no impression sentence shares content stems with was
left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from python_models.safety.mentions import (
    Parsed,
    covered_by_negation,
    lower_same_length,
)

STEM = 5  # stems are word prefixes: "menis"cus/"menis"ci, "occlu"ded/"occlu"sion

# Words that say nothing about which finding a chunk is about: function words, sizes, grades,
# time and certainty words, report verbs. Kept short and generic on purpose.
_GENERIC = frozenset(
    """a an the this that these those there here is are was were be been being has have had
    of in on at to from by for as into onto within along over under about above below near
    it its their they which who whom whose what when where while than then also again
    small smaller tiny trace minimal mild mildly moderate moderately large larger severe
    severely marked markedly significant significantly slight slightly subtle few
    several multiple numerous single some any each both either no not without nor or and
    acute acutely new newly old chronic subacute stable unchanged similar prior previous
    previously now currently interval probable probably possible possibly likely
    suspicious suspected concerning consistent compatible suggestive suggest suggests
    suggesting represent represents representing reflect reflects may might could can
    cannot likely evidence finding findings noted seen identified demonstrated
    demonstrates visualized present appearance appears appearing measuring measures
    measured measure approximately up total associated related due secondary given
    correlate correlation clinical clinically recommend recommended further
    otherwise overall study exam examination images image series imaging
    mm cm ml cc hu degrees degree level levels""".split()
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
    negative""".split()
)
_NORMAL_STEMS = frozenset(w[:STEM] for w in NORMAL_WORDS)
_WORD_RE = re.compile(r"[a-z][a-z0-9']*(?:-[a-z][a-z0-9]*)*|\d+[a-z]+[a-z0-9]*")
# Clause boundaries inside a sentence: a delimiter, or a connecting word (dropped).
_CHUNK_BREAK_RE = re.compile(
    r"[,;:()]|\b(?:with|and|or|but|which|while|whereas|including)\b|(?=\bwithout\b)"
)
# An organ header opening a findings line: "Medial meniscus:", "RIGHT:", "2. Left:".
_LINE_HEADER_RE = re.compile(r"^\s*(?:\d+[.)]\s*)?([a-z][a-z0-9 /,&'-]{0,40}?):(?!\d)")

POSITIVE = "affirmed"
NEGATED = "negated"
NORMAL = "normal"


# Prefixes too common to tell words apart in STEM letters ("intracranial"/"intraluminal").
_PREFIXES = (
    "intra", "inter", "extra", "peri", "para", "supra", "infra", "retro", "hyper", "hypo",
    "trans", "post", "pre", "sub", "non", "multi", "hemi",
)  # fmt: skip


def stem(word: str) -> str:
    """A word's stem: its first STEM letters, more after a common prefix; hyphens dropped."""
    word = word.replace("-", "")
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 2:
            return word[: len(prefix) + STEM - 1]
    return word[:STEM]


def content_stems(text: str) -> list[tuple[str, int]]:
    """(stem, offset) of each content word of lower-cased ``text``."""
    out: list[tuple[str, int]] = []
    for m in _WORD_RE.finditer(text):
        word = m.group(0).strip("'")
        if word in _GENERIC or len(word) < 2:
            continue
        out.append((stem(word), m.start()))
    return out


@dataclass(frozen=True)
class Chunk:
    """One clause of a sentence."""

    segment: int
    start: int
    end: int
    polarity: str  # POSITIVE | NEGATED | NORMAL
    stems: frozenset[str]  # content stems of the chunk itself
    header: frozenset[str]  # content stems of the organ header of its line, if any

    @property
    def about(self) -> frozenset[str]:
        """What the chunk is about: its own stems and its header's."""
        return self.stems | self.header

    @property
    def core(self) -> frozenset[str]:
        """Its own stems that name something: no qualifier, no normal word."""
        return frozenset(s for s in self.stems if s not in _QUALIFIER_STEMS | _NORMAL_STEMS)

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


def _headers(low: str) -> list[tuple[int, int, frozenset[str]]]:
    """(line start, header end, header stems) for each line that opens with an organ header."""
    out = []
    pos = 0
    for line in low.split("\n"):
        m = _LINE_HEADER_RE.match(line)
        if m and len(m.group(1).split()) <= 5:
            stems = frozenset(s for s, _ in content_stems(m.group(1)))
            out.append((pos, pos + m.end(), stems))
        pos += len(line) + 1
    return out


@lru_cache(maxsize=256)
def _read(text: str, segments: tuple[tuple[int, int], ...]) -> Reading:
    low = lower_same_length(text)
    headers = _headers(low)
    chunks: list[Chunk] = []
    seg_stems: list[frozenset[str]] = []
    for index, (s0, s1) in enumerate(segments):
        line_start = low.rfind("\n", 0, s0) + 1
        header: frozenset[str] = frozenset()
        header_end = -1
        for h_start, h_end, h_stems in headers:
            if h_start == line_start:
                header, header_end = h_stems, h_end
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
            if any(negated):
                polarity = NEGATED
            elif stems & _NORMAL_STEMS:
                polarity = NORMAL
            else:
                polarity = POSITIVE
            chunks.append(Chunk(index, a, b, polarity, stems, header))
        seg_stems.append(frozenset(all_stems))
    return Reading(tuple(chunks), tuple(seg_stems))


def read(parsed: Parsed) -> Reading:
    """The chunks of a parsed text (cached per text)."""
    return _read(parsed.text, tuple(parsed.segments))
