"""Sentences of a findings text, with offsets and the organ header they sit under.

Dictation puts headers inside the findings ("LUNGS:", "L4-L5:", "Technique:"): a header is kept
as the sentence's ``label`` (so "LUNGS: Clear." reads as a normal statement about the lungs) and
a technique line is marked as such, never taken for the end of the findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A header at the start of a line or sentence: up to five words (or a spinal level) and a colon.
_LABEL_RE = re.compile(
    r"\s*(?P<label>(?:[A-Za-z][A-Za-z/&,'\-]*\.?(?:[ \t]+[A-Za-z/&,'\-]+){0,4})"
    r"|(?:[CTLS]\d{1,2}(?:\s*-\s*[CTLS]?\d{1,2})?))\s*:\s*",
)
# Sentence ends: . ! ? ; not inside a number ("1.5 cm") and not after a one-letter initial.
_END_RE = re.compile(r"(?<!\d)(?<!\b[A-Za-z])[.!?;]+(?=\s|$)|(?<=\d)[.;](?=\s+[A-Z(]|$)|\n")
_TECHNIQUE_LABELS = frozenset({"technique", "protocol", "procedure", "contrast", "dose"})


@dataclass(frozen=True)
class Sentence:
    """One sentence: where it is in the findings, its text, and its header when it has one."""

    start: int
    end: int
    text: str
    label: str = ""

    @property
    def is_technique(self) -> bool:
        return self.label.lower().strip() in _TECHNIQUE_LABELS


_ABBREVIATION_END_RE = re.compile(r"\b(?:dr|mr|mrs|ms|vs|approx|e\.g|i\.e|no|st)\.$", re.I)


def _pieces(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _END_RE.finditer(text):
        if _ABBREVIATION_END_RE.search(text, start, match.end()) and match.group() == ".":
            continue  # "Dr. Smith", "vs. atelectasis": not a sentence end
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text`` in order; blank pieces dropped, headers split off as labels."""
    out: list[Sentence] = []
    label = ""
    for start, end in _pieces(text):
        raw = text[start:end]
        if not raw.strip():
            continue
        lead = len(raw) - len(raw.lstrip())
        begin = start + lead
        if not out or "\n" in text[out[-1].end : begin]:
            label = ""  # a header holds until the end of its line
        match = _LABEL_RE.match(text, begin, end)
        if match and not re.fullmatch(r"\s*\d+\s*", match.group("label")):
            label = match.group("label").strip()
            begin = match.end()
        body = text[begin:end].strip()
        if not re.search(r"[A-Za-z0-9]", body):
            continue
        stop = begin + len(text[begin:end].rstrip())
        out.append(Sentence(begin, stop, body, label))
    return out
