"""Checks on wording no lexicon knows: each impression sentence read the generic way
(`python_models.reading`) and held to the one reading of the findings, as the findings gate
(`python_models.findings_gate`) holds the served answer. The lexicon checks see only the
findings their tables name; these see every affirmed or denied word:

- UNGROUNDED: a statement none of whose words the findings affirm ("Plantar calcaneal spur."
  when the findings never speak of the heel). Radiologists name in the impression what the
  findings describe ("acute appendicitis" for its signs), so a statement passes with one word
  the findings affirm, a hedge, a finding the findings' signs support (`safety.signs`), an
  incidental or old finding, or when it is about the reporting itself (a call, a recommendation, a
  follow-up interval, a BI-RADS category). The served answer is held word by word by the
  findings gate instead;
- NEG_FLIP: a sentence denies what a findings sentence affirms on the same side (at a spinal
  level: `safety.level_checks`), affirms a finding of a structure its own findings header calls
  normal, or calls intact a structure its own header describes abnormal.

A statement a lexicon check already reported is not reported twice (`checks._warnings`). On for
report_check (`run_checks(..., read_wording=True)`); postprocess leaves it to the findings gate.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from python_models.reading.levels import levels
from python_models.reading.polarity import Reading, read_sentence, stems_in
from python_models.reading.sentences import split_sentences
from python_models.reading.vocabulary import COMMUNICATION_VERBS, SIDE_WORDS
from python_models.safety.mentions import parse
from python_models.safety.reading import NORMAL, POSITIVE, qualifiers, read

if TYPE_CHECKING:
    from python_models.reading.doc import ReportDoc
    from python_models.safety.checks import Span
    from python_models.safety.mentions import Parsed

_MARKER_RE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+")
# A sentence about the reporting, not the patient: a call, a recommendation, a referral, a
# reporting-system category, a follow-up interval.
_PROCESS_RE = re.compile(
    rf"\b(?:{COMMUNICATION_VERBS}|"
    r"read[- ]back|recommend\w*|suggest(?:ed)?|advis\w*|referr\w*|consult\w*|correlat\w*|"
    r"(?:bi|ti|li|pi|o|lung)-?rads|bosniak|category|fleischner|follow[- ]?up|"
    r"\d+\s*(?:(?:-|to)\s*\d+\s*)?(?:days?|weeks?|months?|years?)|(?:high|low)[- ]risk)\b",
    re.IGNORECASE,
)


def check_wording(doc: ReportDoc, f: Parsed, i: Parsed) -> dict[str, list[Span]]:
    """UNGROUNDED and NEG_FLIP found by the generic reading (see the module docstring); ``doc``
    is the findings' one reading (`FindingsChecker.doc`), ``f`` their lexicon parse."""
    from python_models.findings_gate import denies_affirmed_words
    from python_models.safety.checks import criterion_sentence

    found: dict[str, list[Span]] = {"UNGROUNDED": [], "NEG_FLIP": []}
    intact = _intact_structures(f)  # the findings' side, once for every sentence
    for s in split_sentences(i.text):
        marker = _MARKER_RE.match(s.text)
        text = s.text[marker.end() :] if marker else s.text
        if s.label:  # "Left: no collapse" speaks of the left side
            text = f"{s.label}: {text}"
        if criterion_sentence(text):  # a threshold or a guideline speaks of no patient
            continue
        reading = read_sentence(text)
        span: Span = {"source": "impression", "start": s.start, "end": s.end}
        if (
            reading.polarity == "normal"
            and not levels(text)
            and any(
                denies_affirmed_words(part, r, doc)
                and not _denied_there_too(part, f)
                and not _denied_at_another_part(part, r, doc)
                for part, r in _denials(text, reading)
            )
        ):  # a pure denial: "protrusion without stenosis" may speak of another level
            found["NEG_FLIP"].append(span)  # the lexicon's other names: check_negation
        elif reading.polarity == "abnormal" and (
            _normal_structure(text, reading, doc) or _torn_intact_structure(text, reading, intact)
        ):
            found["NEG_FLIP"].append(span)  # "ACL: intact." / "ACL and PCL intact" -> "ACL tear."
        elif reading.polarity == "normal" and _intact_but_abnormal(text, doc):
            found["NEG_FLIP"].append(span)  # "Supraspinatus: tear." -> "Supraspinatus intact."
        elif reading.polarity == "abnormal" and _nothing_supported(text, reading, doc, f):
            found["UNGROUNDED"].append(span)
    return found


def _denied_there_too(denial: str, f: Parsed) -> bool:
    """Whether the findings deny the same thing, at the same place or a narrower one: "No bowel
    obstruction." repeats the findings' own denial, whatever other sentence holds "bowel" and
    "obstructing"; an unplaced "No pneumothorax" is broader than the findings' "no left
    pneumothorax" and stays a flip where another sentence affirms it."""
    mine = [c for c in read(parse(denial)).chunks if c.denies and c.core]
    theirs = [c for c in read(f).chunks if c.denies]
    return bool(mine) and all(
        any(c.core <= t.about and qualifiers(t.about) <= qualifiers(c.about) for t in theirs)
        for c in mine
    )


def _denied_at_another_part(denial: str, reading: Reading, doc: ReportDoc) -> bool:
    """Whether the denial names a part ("No vertebral body fracture", "no rib fracture") that no
    findings sentence affirming its words names: the findings' fracture of the transverse
    processes is not denied."""
    parts = {m.head for m in parse(denial).mentions if m.kind == "anatomy"}
    if not parts:
        return False
    stems = {st for w in reading.denied_words for st in stems_in(w)}
    return not any(
        parts <= {m.head for m in parse(s.text).mentions if m.kind == "anatomy"}
        for s in doc.finding_sentences
        if stems <= s.key_stems
    )


def _normal_structure(text: str, reading: Reading, doc: ReportDoc) -> bool:
    """The statement affirms, unhedged, a finding of a structure the findings state normal
    under a header of its own and nowhere abnormal (`ReportDoc.normal_sections`)."""
    if reading.hedged_words or reading.uncertain:
        return False
    said = stems_in(_SMALL_VESSEL_RE.sub(" ", text))
    return any(need <= said for need in doc.normal_sections)


# Small-vessel disease is of the white matter, not of the vessels a "Vessels:" header states
# normal.
_SMALL_VESSEL_RE = re.compile(r"\bsmall[\s-]vessels?\b", re.IGNORECASE)


_INTACT_RE = re.compile(r"\bintact\b", re.IGNORECASE)


def _intact_structures(f: Parsed) -> list[tuple[frozenset[str], frozenset[str]]]:
    """(structure, place) of each findings clause calling a structure intact with nothing
    abnormal in its sentence ("The right hip is intact with mild narrowing" is not) nor said
    of it anywhere else in the findings."""
    f_chunks = read(f).chunks
    abnormal = [c for c in f_chunks if c.polarity == POSITIVE and c.abnormal]
    qualified = {c.segment for c in abnormal}
    return [
        (c.core, qualifiers(c.stems))
        for c in f_chunks
        if c.polarity == NORMAL
        and c.core
        and "intac" in c.normal
        and c.segment not in qualified
        and not any(c.core <= a.about for a in abnormal)
    ]


def _torn_intact_structure(
    text: str, reading: Reading, intact: list[tuple[frozenset[str], frozenset[str]]]
) -> bool:
    """The statement affirms, unhedged, something abnormal of a structure the findings call
    intact (`_intact_structures`): "ACL and PCL intact with normal signal" against "Complete
    ACL tear"."""
    if not intact or reading.hedged_words or reading.uncertain:
        return False
    said = [c for c in read(parse(text)).chunks if c.polarity == POSITIVE and c.abnormal]
    return any(
        structure <= c.about
        and c.core - structure
        and qualifiers(c.stems) <= place  # "posterior malleolus intact": not the lateral
        for structure, place in intact
        for c in said
    )


def _intact_but_abnormal(text: str, doc: ReportDoc) -> bool:
    """The statement calls intact, and denies nothing, a structure whose own findings header
    states something abnormal (`ReportDoc.abnormal_sections`)."""
    if not _INTACT_RE.search(text) or read_sentence(text).denied_words:
        return False
    said = stems_in(text)
    return any(need and need <= said for need in doc.abnormal_sections)


_CONJUNCT_RE = re.compile(r",|;|\b(?:or|nor|and)\b", re.IGNORECASE)


def _denials(text: str, reading: Reading) -> list[tuple[str, Reading]]:
    """The denial and, for a list ("No hydrocele or mass"), each thing it denies on its own
    ("No mass"), so that one affirmed item of the list is not hidden by the others."""
    if not reading.denied_words:
        return []
    out = [(text, reading)]
    parts = _CONJUNCT_RE.split(text)
    for k, part in enumerate(parts if len(parts) > 1 else ()):
        denial = part.strip() if k == 0 else f"No {part.strip()}"
        r = read_sentence(denial)
        if any(w not in SIDE_WORDS for w in r.denied_words):
            out.append((denial, r))
    # "No new effusion", "no significant stenosis": the lexicon check weighs a narrowed denial
    from python_models.safety.checks import NARROWING_RE

    return [(part, r) for part, r in out if not NARROWING_RE.search(part.lower())]


def _nothing_supported(text: str, reading: Reading, doc: ReportDoc, f: Parsed) -> bool:
    """No word of the statement is one the findings affirm, no hedge qualifies it, no finding
    it names is one the findings' signs state, and it is not about the reporting."""
    from python_models.findings_gate import stated_words, unsupported_words
    from python_models.safety.checks import affirmed_signs, related_heads

    if reading.hedged_words or reading.incidental or reading.chronic or _PROCESS_RE.search(text):
        return False
    words = {w for w in stated_words(reading) if w not in SIDE_WORDS}
    if not words or words - unsupported_words(text, reading, doc):
        return False
    signed = {sign.head for sign in affirmed_signs(f)}
    return not any(related_heads(m.head) & signed for m in parse(text).findings() if not m.negated)
