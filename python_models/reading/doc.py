"""`ReportDoc`: one reading of a report that every postprocess step and check can share.

Built once per report from the findings and the exam, each part computed when a step first
asks for it and kept: the findings' sentences (with their organ headers), each sentence's
reading (abnormal / normal / neutral, key words, denied words, hedging, history), the body
regions the study covers, and the lexicon parse (`python_models.safety.mentions.parse`) of the
whole findings and of each sentence as critical completion, item grounding and pertinent
negatives split them (`sentence_bounds`, `sentence_at`, `parse_sentence`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from python_models.critical_completion import findings_sentences
from python_models.item_grounding import is_incidental
from python_models.reading.polarity import Reading, read_sentence, stems_in, stems_of, tokens
from python_models.reading.regions import normal_phrase, regions_named, regions_of_findings
from python_models.reading.sentences import Sentence, split_sentences
from python_models.reading.vocabulary import ABBREVIATIONS, ABNORMAL_SHAPE, SIDE_WORDS
from python_models.safety.mentions import Parsed, parse

Bounds = tuple[int, int]


# Lines, tubes and implants, and the words that put one where it does not belong.
_DEVICE_RE = re.compile(
    r"\b(?:catheters?|tubes?|lines?|pacemakers?|leads?|ports?|stents?|wires?|clips?|drains?|"
    r"icd|defibrillator|picc|sheath|filters?|prosthes[ie]s|sutures?|staples?|hardware)\b",
    re.IGNORECASE,
)
_MALPOSITION_RE = re.compile(
    r"\b(?:mainstem|bronch\w*|coil\w*|kink\w*|malposit\w*|esophag\w*|retract\w*|advanc\w*|"
    r"too|low|high|displac\w*|migrat\w*|fractur\w*|disrupt\w*|pharyn\w*|neck|axill\w*|"
    r"contralateral|pneumothora\w*|loop\w*|reposition\w*|recommend\w*|unchanged position)\b",
    re.IGNORECASE,
)


def device_in_place(s: ReadSentence) -> bool:
    """A sentence about a line, tube or implant that says nothing out of place and names no
    finding of shaped form ("Enteric tube tip in the stomach.")."""
    return (
        bool(_DEVICE_RE.search(s.text))
        and not _MALPOSITION_RE.search(s.text)
        and not any(ABNORMAL_SHAPE.search(w) for w in s.reading.key_words)
    )


def both_sides(sides: Iterable[str]) -> frozenset[str]:
    """ "left"/"right" of side words, "bilateral" (or "bilaterally") as both."""
    out = frozenset(sides)
    return frozenset({"left", "right"}) if out - {"left", "right"} else out


# The organ a part belongs to, and the organ a finding of the lexicon lies in, so that a
# normal statement about an organ can be held against its findings.
_PART_OF = {
    "upper lobe": "lung",
    "middle lobe": "lung",
    "lower lobe": "lung",
    "lingula": "lung",
    "cardiac chamber": "heart",
}
_FINDING_ORGAN = {
    "consolidation": "lung",
    "pneumonia": "lung",
    "opacity": "lung",
    "ground-glass opacity": "lung",
    "nodule": "lung",
    "emphysema": "lung",
    "cardiomegaly": "heart",
}


def organs_named(text: str) -> frozenset[str]:
    """Organs ``text`` names, directly or through a part or a finding of the lexicon."""
    out = set()
    for m in parse(text).mentions:
        if m.negated:
            continue
        if m.kind == "anatomy":
            out.add(_PART_OF.get(m.head, m.head))
        elif m.head in _FINDING_ORGAN:
            out.add(_FINDING_ORGAN[m.head])
    return frozenset(out)


@dataclass(frozen=True)
class ReadSentence:
    """A findings sentence and its reading."""

    sentence: Sentence
    reading: Reading

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def is_finding(self) -> bool:
        """Affirms (or hedges) something abnormal; technique lines never do."""
        return self.reading.polarity == "abnormal" and not self.sentence.is_technique

    @cached_property
    def sides(self) -> frozenset[str]:
        """Sides the sentence affirms, spelled out of an abbreviation ("LLL") or named by its
        organ header ("RIGHT:", "Left kidney:"), "bilateral" as both."""
        words = [t.word for t in tokens(self.sentence.label)] + [
            part for w in self.reading.key_words for part in ABBREVIATIONS.get(w, "").split()
        ]
        return both_sides(self.reading.sides | (set(words) & SIDE_WORDS))

    @property
    def key_stems(self) -> frozenset[str]:
        return frozenset(st for w in self.reading.key_words for st in stems_of(w))


# A header naming a group of structures ("Ligaments:", "Tendons:", "Menisci:"): one torn member
# says nothing of the others.
_GROUP_LABEL_RE = re.compile(r"(?:[^su]s|menisci|labra)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReportDoc:
    """One report as every postprocess step reads it: its findings sentences with their
    readings and its exam (and so its regions and normal phrase)."""

    findings: str
    exam: str | None

    @cached_property
    def sentences(self) -> tuple[ReadSentence, ...]:
        """The findings' sentences (`reading.sentences`), each with its reading."""
        return tuple(ReadSentence(s, read_sentence(s.text)) for s in split_sentences(self.findings))

    @cached_property
    def parsed(self) -> Parsed:
        """The lexicon parse of the whole findings."""
        return parse(self.findings)

    @cached_property
    def sentence_bounds(self) -> tuple[Bounds, ...]:
        """Every findings sentence as (start, end), split line by line as prose is
        (`critical_completion.findings_sentences`)."""
        return tuple(findings_sentences(self.findings))

    def sentence_at(self, offset: int) -> Bounds | None:
        """The sentence of `sentence_bounds` holding ``offset`` (as
        `critical_completion.sentence_at` finds it), or None."""
        return next((b for b in self.sentence_bounds if b[0] <= offset < b[1]), None)

    @cached_property
    def _sentence_parses(self) -> dict[Bounds, Parsed]:
        return {}

    def parse_sentence(self, bounds: Bounds) -> Parsed:
        """The lexicon parse of ``findings[start:end]``, once per report."""
        if bounds not in self._sentence_parses:
            self._sentence_parses[bounds] = parse(self.findings[bounds[0] : bounds[1]])
        return self._sentence_parses[bounds]

    @cached_property
    def regions(self) -> frozenset[str]:
        """Regions the exam names, else the ones the findings talk about."""
        return regions_named(self.exam) or regions_of_findings(self.findings)

    @cached_property
    def normal_phrase(self) -> str:
        return normal_phrase(self.regions)

    @cached_property
    def finding_sentences(self) -> tuple[ReadSentence, ...]:
        return tuple(s for s in self.sentences if s.is_finding)

    def incidental(self, s: ReadSentence) -> bool:
        """An incidental finding (by its own words, or one impressions conventionally leave
        out, `item_grounding.is_incidental`), unless something marks it new or growing."""
        if s.reading.acute_marker:
            return False
        shaped = [w for w in s.reading.key_words if ABNORMAL_SHAPE.search(w)]
        return s.reading.incidental or (len(shaped) <= 1 and is_incidental(s.text))

    @cached_property
    def abnormal(self) -> bool:
        """Some finding is not incidental (an old one counts: "no acute abnormality" beside a
        stated abnormality reads as a normal study); a device where it belongs is no finding
        ("Right IJ catheter tip in the SVC. No acute cardiopulmonary process.")."""
        return any(
            not self.incidental(s) and not device_in_place(s) for s in self.finding_sentences
        )

    @cached_property
    def states_nothing(self) -> bool:
        """No findings sentence states a finding or normality (technique, views, de-identified
        words only): no impression, normal or not, rests on such findings."""
        return not any(
            s.reading.polarity != "neutral" and not s.sentence.is_technique for s in self.sentences
        )

    @cached_property
    def normal_sections(self) -> tuple[frozenset[str], ...]:
        """The word stems of each organ header ("ACL:", "Left kidney:") whose every sentence
        reads normal and whose words no findings sentence that affirms a finding uses: a
        structure the findings state normal and nothing else."""
        sections: dict[str, list[bool]] = {}
        for s in self.sentences:
            if s.sentence.label:
                sections.setdefault(s.sentence.label.lower(), []).append(
                    s.reading.polarity == "normal"
                )
        used = [stems_in(s.text) for s in self.finding_sentences]
        out = []
        for label, normal in sections.items():
            need = frozenset(stems_in(label))
            if need and all(normal) and not any(need & stems for stems in used):
                out.append(need)
        return tuple(out)

    @cached_property
    def abnormal_sections(self) -> tuple[frozenset[str], ...]:
        """The word stems of each organ header ("Supraspinatus:", "ACL:") with a sentence
        that affirms something of abnormal shape ("Full-thickness tear with retraction."): a
        structure the findings state abnormal under its own name."""
        out: set[frozenset[str]] = set()
        for s in self.finding_sentences:
            label = s.sentence.label
            if (
                label
                and not _GROUP_LABEL_RE.search(label)  # "Ligaments:" holds several structures
                and any(ABNORMAL_SHAPE.search(w) for w in s.reading.key_words)
            ):
                out.add(frozenset(stems_in(label)))
        return tuple(sorted(out, key=sorted))

    @cached_property
    def affirmed_stems(self) -> frozenset[str]:
        """Stems of every word the findings (and exam name) use outside a negation scope."""
        out: set[str] = set()
        for s in self.sentences:
            denied = set(s.reading.denied_words)
            out |= {st for t in tokens(s.text) if t.word not in denied for st in stems_of(t.word)}
            out |= stems_in(s.sentence.label)
        out |= stems_in(self.exam or "")
        return frozenset(out)

    @cached_property
    def finding_organs(self) -> frozenset[str]:
        """Organs of the findings sentences that state a finding that is not incidental."""
        out: set[str] = set()
        for s in self.finding_sentences:
            if not self.incidental(s):
                out |= organs_named(f"{s.sentence.label}: {s.text}" if s.sentence.label else s.text)
        return frozenset(out)

    @cached_property
    def affirmed_heads(self) -> frozenset[str]:
        """Lexicon heads (findings and anatomy) the findings name outside a denial."""
        return frozenset(m.head for m in self.parsed.mentions if not m.negated)

    @cached_property
    def denied_stems(self) -> frozenset[str]:
        return frozenset(
            st for s in self.sentences for w in s.reading.denied_words for st in stems_of(w)
        )

    @cached_property
    def finding_stems(self) -> frozenset[str]:
        """Key-word stems of the abnormal sentences: what the findings affirm."""
        return frozenset(st for s in self.finding_sentences for st in s.key_stems)


def read_report(findings: str, exam: str | None = None) -> ReportDoc:
    """The one reading of a report (see the module docstring); its parts are read when a step
    first asks for them."""
    return ReportDoc(findings, exam)
