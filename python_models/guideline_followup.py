"""Fleischner 2017 recommendations in a generated impression, held to the guideline table.

The model never sees a nodule's size: preprocess hands it ``<n0>`` in place of "7 mm"
(`python_models.measurement_placeholders`), so the band it picks for "Fleischner 2017: ..." is a
guess. Once postprocess has written the sizes back, each recommendation worded as the table words
it is compared with the versioned table (`python_models.guidelines`) for the solid nodule of the
sentence right before it; one that no risk level of that row allows is replaced by the table's
wording (risk unknown: both risk levels stated), with a warn-level FOLLOWUP_SET warning. A ground-
glass or part-solid nodule is held to the 2017 subsolid table the same way. In doubt it is left as
generated: a sentence before it that names no nodule, denies one ("no other nodules"), compares
with a prior or gives other than exactly one size. It is removed (FOLLOWUP_REMOVED) where no table
is for the nodule (calcified, centrilobular, subsolid of unstated kind, a nodule of another organ
than the lung), where the guideline is named in other words than the table's (it cannot be
checked), and where the table does not apply to the patient or study (under 35, a known cancer,
immunosuppression or screening in the indication, not a CT: `guidelines.fleischner_excluded`).
Whether to recommend at all otherwise stays the model's choice (FOLLOWUP_MISSING covers a missing
one); nothing else is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from python_models.guidelines import (
    fleischner_accepted,
    fleischner_solid,
    fleischner_subsolid,
    fleischner_wordings,
)
from python_models.safety import lexicons as lx
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


# Subsolid nodules have their own table; a calcified (benign) nodule, one of unstated
# subsolid kind or the small airway nodules of an inflammatory pattern have none.
_GROUND_GLASS_RE = re.compile(r"\b(?:ground[- ]glass|ggn|ggo)\b", re.IGNORECASE)
_PART_SOLID_RE = re.compile(r"\b(?:part[- ]solid|semi-?solid)\b", re.IGNORECASE)
_NO_TABLE_RE = re.compile(
    r"\b(?:subsolid|calcified|centrilobular|tree-in-bud|perilymphatic|miliary)\b", re.IGNORECASE
)
# A guideline named outside the table's own wording ("per Fleischner criteria, CT in a year").
_LOOSE_RE = re.compile(r"(?:^|(?<=[.;\n]))[^.;\n]*\bfleischner\b[^.;\n]*[.;]?", re.IGNORECASE)


def _nodule_size(sentence: str) -> tuple[float, bool] | None:
    """(size in mm, several nodules) of the one nodule the sentence states; None in doubt."""
    parsed = parse(sentence)
    nodules = [m for m in parsed.findings() if m.head == "nodule"]
    if not nodules or any(m.negated for m in nodules) or _COMPARED_RE.search(sentence):
        return None
    if len(parsed.measurements) != 1:
        return None
    return parsed.measurements[0].mm, bool(_PLURAL_NODULES_RE.search(sentence))


_OTHER_ORGAN_RE = re.compile(
    r"\b(?:thyroid|adrenal|renal|kidneys?|hepatic|liver|splenic|spleen|pancrea\w*|breast|"
    r"parotid|prostat\w*|ovar\w*|pleural|subcutaneous|skin|cutaneous|lymph)\b",
    re.IGNORECASE,
)


def _outside_the_lung(sentence: str) -> bool:
    """A nodule of another organ ("left adrenal nodule", "thyroid nodule"): the sentence names
    a part outside the chest, or no lung part while it names some other part."""
    parts = [m for m in parse(sentence).mentions if m.kind == "anatomy"]
    return bool(_OTHER_ORGAN_RE.search(sentence)) or any(
        lx.ANATOMY_REGION.get(m.head) != "chest" for m in parts
    )


def _subsolid_kind(sentence: str) -> str:
    """ "part-solid" or "ground-glass" for a subsolid nodule of that kind, "" for a solid one."""
    if _PART_SOLID_RE.search(sentence):
        return "part-solid"
    if _GROUND_GLASS_RE.search(sentence):
        return "ground-glass"
    return ""


def _accepted(size: float, multiple: bool) -> set[str]:
    return {w.lower() for w in fleischner_accepted(size, multiple)}


def set_fleischner(
    impression: str, age: int | None = None, excluded: bool = False
) -> FollowupResult:
    """``impression`` with every table-worded Fleischner 2017 recommendation held to the
    nodule stated right before it: kept when the table allows it for that size, replaced from
    the table when not (the subsolid table for a ground-glass or part-solid one), left as
    generated when no one size can be read, removed when no table is for the nodule
    (calcified, centrilobular, ...) or when
    ``excluded`` (the table does not apply to this patient or study). The guideline named in
    other words is removed: it cannot be checked."""
    pieces: list[str] = []
    replaced = removed = 0
    last = 0
    for match in _RECOMMENDATION_RE.finditer(impression):
        before, loose = _LOOSE_RE.subn("", impression[last : match.start()])
        removed += loose
        segments = segments_of(before)
        nodule = before[slice(*segments[-1])] if segments else ""
        kind = _subsolid_kind(nodule)
        found = _nodule_size(nodule)
        if found is None:
            expected = None
        elif kind:
            expected = fleischner_subsolid(found[0], kind, multiple=found[1], age=age)
        else:
            expected = fleischner_solid(*found, age=age)
        pieces.append(before)
        if excluded or _NO_TABLE_RE.search(nodule) or _outside_the_lung(nodule):
            removed += 1
        elif found is None:  # no one size to check the band against: as generated
            pieces.append(match.group(0))
        elif expected is None:  # under 35: the table does not apply
            removed += 1
        elif (not kind and match.group("text").lower() in _accepted(*found)) or (
            kind and match.group(0).rstrip(".") == expected.rstrip(".")
        ):
            pieces.append(match.group(0))
        else:
            pieces.append(expected)
            replaced += 1
        last = match.end()
    tail, loose = _LOOSE_RE.subn("", impression[last:])
    removed += loose
    if not (replaced or removed):
        return FollowupResult(impression, 0)
    text = "".join([*pieces, tail])
    return FollowupResult(_tidy(text) if removed else text, replaced, removed)


def _tidy(text: str) -> str:
    """Spacing and sentence ends mended where a recommendation was cut out."""
    text = re.sub(r"\s{2,}", " ", text)
    text = re.sub(r"\s+([.;,])", r"\1", text)
    text = re.sub(r"([.;])(?:\s*[.;])+", r"\1", text)
    return text.strip()
