"""Fleischner 2017 recommendations in a generated impression, set from the guideline table.

The model never sees a nodule's size: preprocess hands it ``<n0>`` in place of "7 mm"
(`python_models.measurement_placeholders`), so the band it picks for "Fleischner 2017: ..." is
a guess. Once postprocess has written the sizes back, each such recommendation is compared with
the versioned table (`python_models.guidelines`) for the size stated in its own item; one that
no risk level of that row allows is replaced by the table's wording (risk unknown: both risk
levels stated), with a warn-level FOLLOWUP_SET warning. Whether to recommend at all stays the
model's choice (the checks' FOLLOWUP_MISSING covers a missing one); nothing else is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from python_models.guidelines import fleischner_accepted, fleischner_solid
from python_models.safety.mentions import parse

_FLEISCHNER_RE = re.compile(r"Fleischner 2017:\s*(?P<text>[^.]*)\.?")
_ITEM_MARKER_RE = re.compile(r"(?:(?<=\s)|^)\d{1,2}[.)]\s+")
_PLURAL_NODULES_RE = re.compile(r"\bnodules\b", re.IGNORECASE)


@dataclass(frozen=True)
class FollowupResult:
    impression: str
    replaced: int


def _item_before(text: str, end: int, floor: int) -> str:
    """The impression item a recommendation at ``end`` belongs to: back to the last list
    marker (or the previous recommendation, or the start)."""
    start = floor
    for marker in _ITEM_MARKER_RE.finditer(text, floor, end):
        start = marker.end()
    return text[start:end]


def _normal(text: str) -> str:
    return " ".join(text.split()).strip(" .").lower()


def set_fleischner(impression: str, age: int | None = None) -> FollowupResult:
    """``impression`` with every Fleischner 2017 recommendation that does not fit its item's
    nodule size replaced from the table; items without a size are left as they are."""
    pieces: list[str] = []
    replaced = 0
    last = 0
    for match in _FLEISCHNER_RE.finditer(impression):
        item = _item_before(impression, match.start(), last)
        sizes = [m.mm for m in parse(item).measurements]
        expected = None
        if sizes:
            multiple = bool(_PLURAL_NODULES_RE.search(item))
            accepted = {_normal(t) for t in fleischner_accepted(max(sizes), multiple)}
            if _normal(match.group("text")) not in accepted:
                expected = fleischner_solid(max(sizes), multiple=multiple, age=age)
        pieces.append(impression[last : match.start()])
        if expected is None:
            pieces.append(match.group(0))
        else:
            pieces.append(expected)
            replaced += 1
        last = match.end()
    if not replaced:
        return FollowupResult(impression, 0)
    pieces.append(impression[last:])
    return FollowupResult("".join(pieces), replaced)
