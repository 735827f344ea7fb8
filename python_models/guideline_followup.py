"""Fleischner 2017 recommendations in a generated impression, set from the guideline table.

The model never sees a nodule's size: preprocess hands it ``<n0>`` in place of "7 mm"
(`python_models.measurement_placeholders`), so the band it picks for "Fleischner 2017: ..." is
a guess. Once postprocess has written the sizes back, each recommendation worded as the table
words it is compared with the versioned table (`python_models.guidelines`) for the nodule of the
sentence right before it; one that no risk level of that row allows is replaced by the table's
wording (risk unknown: both risk levels stated), with a warn-level FOLLOWUP_SET warning. In
doubt it is left as generated: a wording not from the table, a sentence before it that names no
nodule, denies one ("no other nodules"), compares with a prior, or gives other than exactly one
size. Where the table does not apply to the patient or the study (under 35, a known cancer,
immunosuppression or screening in the indication, not a CT: `guidelines.fleischner_excluded`),
every such recommendation is removed instead (FOLLOWUP_REMOVED). Whether to recommend at all
otherwise stays the model's choice (FOLLOWUP_MISSING covers a missing one); nothing else is
touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from python_models.guidelines import fleischner_accepted, fleischner_solid, fleischner_wordings
from python_models.safety.mentions import parse, segments_of

_PREFIX = "Fleischner 2017:"
_WORDINGS = sorted(fleischner_wordings(), key=len, reverse=True)  # longest first
_RECOMMENDATION_RE = re.compile(
    re.escape(_PREFIX)
    + r"\s*(?P<text>"
    + "|".join(re.escape(w) for w in _WORDINGS)
    + r")\.?(?![\w-])",
    re.IGNORECASE,
)
_COMPARED_RE = re.compile(
    r"\b(?:previously|prior|increased|decreased|stable|unchanged|enlarging|from)\b", re.I
)
_PLURAL_NODULES_RE = re.compile(r"\bnodules\b", re.IGNORECASE)


@dataclass(frozen=True)
class FollowupResult:
    impression: str
    replaced: int
    removed: int = 0


def _nodule_size(sentence: str) -> tuple[float, bool] | None:
    """(size in mm, several nodules) of the one nodule the sentence states; None in doubt."""
    parsed = parse(sentence)
    nodules = [m for m in parsed.findings() if m.head == "nodule"]
    if not nodules or any(m.negated for m in nodules) or _COMPARED_RE.search(sentence):
        return None
    if len(parsed.measurements) != 1:
        return None
    return parsed.measurements[0].mm, bool(_PLURAL_NODULES_RE.search(sentence))


def set_fleischner(
    impression: str, age: int | None = None, excluded: bool = False
) -> FollowupResult:
    """``impression`` with every table-worded Fleischner 2017 recommendation that does not fit
    the size of the nodule stated right before it replaced from the table; with every one
    removed when ``excluded`` (the table does not apply to this patient or study)."""
    if excluded:
        kept, removed = _RECOMMENDATION_RE.subn("", impression)
        if not removed:
            return FollowupResult(impression, 0)
        return FollowupResult(_tidy(kept), 0, removed)
    pieces: list[str] = []
    replaced = 0
    last = 0
    for match in _RECOMMENDATION_RE.finditer(impression):
        before = impression[last : match.start()]
        segments = segments_of(before)
        found = _nodule_size(before[slice(*segments[-1])]) if segments else None
        expected = None
        if found is not None:
            size, multiple = found
            accepted = {w.lower() for w in fleischner_accepted(size, multiple)}
            if match.group("text").lower() not in accepted:
                expected = fleischner_solid(size, multiple=multiple, age=age)
        pieces.append(before)
        pieces.append(match.group(0) if expected is None else expected)
        replaced += expected is not None
        last = match.end()
    if not replaced:
        return FollowupResult(impression, 0)
    pieces.append(impression[last:])
    return FollowupResult("".join(pieces), replaced)


def _tidy(text: str) -> str:
    """Spacing and sentence ends mended where a recommendation was cut out."""
    text = re.sub(r"\s{2,}", " ", text)
    text = re.sub(r"\s+([.;,])", r"\1", text)
    text = re.sub(r"([.;])(?:\s*[.;])+", r"\1", text)
    return text.strip()
