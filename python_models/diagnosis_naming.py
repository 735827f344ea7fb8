"""Name the diagnosis that the findings' signs state, when the impression does not.

A radiologist's impression names the diagnosis a pattern of signs describes ("acute
appendicitis" for a dilated appendix with periappendiceal stranding; "small bowel obstruction"
for dilated loops with a transition point). The findings often give only the signs, and a model
that copies or condenses them leaves the diagnosis unsaid. The signs come from the same table
of radiology knowledge the safety checks ground diagnoses with (`python_models.safety.signs`);
only the diagnoses whose stating signs are specific enough to name without a hedge are named
(`signs.SPECIFIC`: consolidation may be pneumonia or atelectasis, ventriculomegaly atrophy).
A sign counts only in a findings sentence that affirms it: not denied, not hedged, not
incidental. The name goes first, as "Findings consistent with ...", with a warn-level
DIAGNOSIS_NAMED pointing at the sentences that state the signs; nothing is named when the
findings deny the diagnosis, and nothing else changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from python_models.reading.doc import ReadSentence, ReportDoc
from python_models.reading.polarity import tokens
from python_models.safety.signs import SPECIFIC, sign_matches
from python_models.style.items import Item, render, split_items, strip_period
from python_models.style.profile import StyleRules

# the name an impression uses for a specific diagnosis of the signs table (`signs.SPECIFIC`),
# where it is not the table's own head
_SPOKEN = {
    "infarct": "acute infarct",
    "appendicitis": "acute appendicitis",
    "cholecystitis": "acute cholecystitis",
}
NAMES: dict[str, str] = {head: _SPOKEN.get(head, head) for head in sorted(SPECIFIC)}
# where the signs say which bowel or which organ, the name says it too
_QUALIFIERS: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "bowel obstruction": (
        (re.compile(r"\bsmall[\s-]bowel|jejun|ile(?:al|um)\b", re.I), "small bowel obstruction"),
        (re.compile(r"\bcolon|colonic|large[\s-]bowel|sigmoid", re.I), "large bowel obstruction"),
    ),
    "torsion": (
        (re.compile(r"\bovar(?:y|ian)|adnex", re.I), "ovarian torsion"),
        (re.compile(r"\btest(?:is|icle|icular|es)|scrot|spermatic", re.I), "testicular torsion"),
    ),
}
_LAYOUT = StyleRules(list_style="numbered", numbering="1.", terminal_period=True)


@dataclass
class Named:
    impression: str
    named: list[str] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return {t.word for t in tokens(text)}


def _affirmed_sign(s: ReadSentence, start: int, end: int) -> bool:
    """The sign's words are affirmed in the sentence: none denied, one a key word."""
    words = {t.word for t in tokens(s.text.lower()[start:end])}
    return not words & set(s.reading.denied_words) and bool(words & set(s.reading.key_words))


def _name(head: str, s: ReadSentence) -> str:
    for pattern, name in _QUALIFIERS.get(head, ()):
        if pattern.search(s.text):
            return name
    return NAMES[head]


def diagnoses(doc: ReportDoc) -> dict[str, list[ReadSentence]]:
    """Name -> the findings sentences whose affirmed signs state it."""
    found: dict[str, list[ReadSentence]] = {}
    for s in doc.finding_sentences:
        if s.reading.uncertain or doc.incidental(s):
            continue
        for sign in sign_matches(s.text.lower()):
            if sign.states and sign.head in NAMES and _affirmed_sign(s, sign.start, sign.end):
                found.setdefault(_name(sign.head, s), []).append(s)
    return found


def name_diagnoses(impression: str, doc: ReportDoc) -> Named:
    """``impression`` led by the diagnoses its findings' signs state and it does not name."""
    said = _words(impression)
    denied = {w for s in doc.sentences for w in s.reading.denied_words}
    missing = []
    spans: list[dict[str, Any]] = []
    for name, sentences in diagnoses(doc).items():
        core = _words(name) - {"acute", "small", "large"}  # the diagnosis's own words
        if core <= said or core <= denied:
            continue
        missing.append(name)
        for s in sentences:
            span = {"source": "findings", "start": s.sentence.start, "end": s.sentence.end}
            if span not in spans:
                spans.append(span)
    if not missing:
        return Named(impression)
    items, _layout = split_items(impression)
    lead = Item(f"Findings consistent with {' and '.join(missing)}")
    kept = [i for i in items if strip_period(i.text).strip()]
    return Named(" ".join(render([lead, *kept], _LAYOUT).split()), missing, spans)
