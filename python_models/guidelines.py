"""Versioned follow-up guideline table: the corpus writes impression recommendations with it,
and postprocess sets the served ones from it (`python_models.guideline_followup`).

Only the Fleischner Society 2017 table for incidental SOLID pulmonary nodules is encoded (adults
>= 35 years, no known cancer, not immunocompromised). The table is data with a version so a
change of guideline is a reviewed diff, and the corpus records which version wrote each case.

The model sees only the FINDINGS (no history), so the patient's risk is usually unknown to it;
``risk=None`` gives the wording that states both the low- and the high-risk recommendation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FLEISCHNER_VERSION = "fleischner-2017-solid"
MIN_AGE = 35
# A history the 2017 table excludes: a known cancer, immunosuppression, or lung cancer screening
# (Lung-RADS, not Fleischner, answers a screening CT).
_EXCLUDED_HISTORY_RE = re.compile(
    r"\b(?:cancer|malignan\w*|carcinoma|lymphoma|leuka?emia|myeloma|sarcoma|melanoma|"
    r"metasta\w*|oncolog\w*|chemo\w*|immuno(?:compromised|suppress\w*|deficien\w*)|"
    r"transplant\w*|hiv|aids|screening|lung-?rads)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Recommendation:
    """One cell of the table: size band x single/multiple x risk."""

    low: str
    high: str


# size band -> (single, multiple); bands by nodule diameter: <6 mm, 6-8 mm, >8 mm
_TABLE: dict[str, tuple[Recommendation, Recommendation]] = {
    "<6": (
        Recommendation("No routine follow-up", "Optional CT at 12 months"),
        Recommendation("No routine follow-up", "Optional CT at 12 months"),
    ),
    "6-8": (
        Recommendation(
            "CT at 6-12 months, then consider CT at 18-24 months",
            "CT at 6-12 months, then CT at 18-24 months",
        ),
        Recommendation(
            "CT at 3-6 months, then consider CT at 18-24 months",
            "CT at 3-6 months, then at 18-24 months",
        ),
    ),
    ">8": (
        Recommendation(
            "Consider CT at 3 months, PET/CT, or tissue sampling",
            "Consider CT at 3 months, PET/CT, or tissue sampling",
        ),
        Recommendation(
            "CT at 3-6 months, then consider CT at 18-24 months",
            "CT at 3-6 months, then at 18-24 months",
        ),
    ),
}


def size_band(size_mm: float) -> str:
    """The Fleischner size band of a nodule diameter in millimetres."""
    if size_mm < 6:
        return "<6"
    if size_mm <= 8:
        return "6-8"
    return ">8"


def _risk_unknown(rec: Recommendation) -> str:
    """The wording when the risk is unknown: both recommendations, unless they agree."""
    return rec.low if rec.low == rec.high else f"{rec.low} if low risk; {rec.high} if high risk"


def _wordings(rec: Recommendation) -> frozenset[str]:
    return frozenset({rec.low, rec.high, _risk_unknown(rec)})


def fleischner_accepted(size_mm: float, multiple: bool = False) -> frozenset[str]:
    """Every wording `fleischner_solid` may give this nodule (low, high or unknown risk),
    without the "Fleischner 2017: " prefix and final period."""
    return _wordings(_TABLE[size_band(size_mm)][1 if multiple else 0])


# The 2017 table for SUBSOLID nodules (no risk levels): (kind, band) -> (single, multiple).
# "<6" / ">=6" by diameter; the wording avoids lengths so that no check reads one as a size.
_SUBSOLID: dict[tuple[str, str], tuple[str, str]] = {
    ("ground-glass", "<6"): (
        "No routine follow-up",
        "CT at 3-6 months; if stable, consider CT at 2 and 4 years",
    ),
    ("ground-glass", ">=6"): (
        "CT at 6-12 months to confirm persistence, then CT every 2 years until 5 years",
        "CT at 3-6 months; subsequent management based on the most suspicious nodule",
    ),
    ("part-solid", "<6"): (
        "No routine follow-up",
        "CT at 3-6 months; if stable, consider CT at 2 and 4 years",
    ),
    ("part-solid", ">=6"): (
        "CT at 3-6 months to confirm persistence; if unchanged and the solid component stays "
        "below the six-millimetre threshold, annual CT for 5 years",
        "CT at 3-6 months; subsequent management based on the most suspicious nodule",
    ),
}
SUBSOLID_KINDS = ("ground-glass", "part-solid")


def fleischner_subsolid(
    size_mm: float, kind: str, multiple: bool = False, age: int | None = None
) -> str | None:
    """Recommendation sentence for a subsolid nodule ("ground-glass" or "part-solid"), or None
    where the guideline does not apply."""
    if age is not None and age < MIN_AGE:
        return None
    if kind not in SUBSOLID_KINDS:
        raise ValueError(f"kind must be one of {SUBSOLID_KINDS}, got {kind!r}")
    cells = _SUBSOLID[(kind, "<6" if size_mm < 6 else ">=6")]
    return f"Fleischner 2017: {cells[1 if multiple else 0]}."


def fleischner_wordings() -> frozenset[str]:
    """Every wording of the tables, any band and risk (what a served recommendation may say)."""
    solid = {text for cells in _TABLE.values() for rec in cells for text in _wordings(rec)}
    return frozenset(solid | {text for cells in _SUBSOLID.values() for text in cells})


def fleischner_solid(
    size_mm: float, multiple: bool = False, risk: str | None = None, age: int | None = None
) -> str | None:
    """Recommendation sentence for a solid nodule, or None where the guideline does not apply.

    ``risk`` is "low", "high" or None (unknown: both are stated). ``size_mm`` is the largest
    nodule's diameter when ``multiple``.
    """
    if age is not None and age < MIN_AGE:
        return None
    if risk not in (None, "low", "high"):
        raise ValueError(f"risk must be 'low', 'high' or None, got {risk!r}")
    rec = _TABLE[size_band(size_mm)][1 if multiple else 0]
    text = rec.low if risk == "low" else rec.high if risk == "high" else _risk_unknown(rec)
    return f"Fleischner 2017: {text}."


def fleischner_excluded(age: int | None, history: str | None, modality: str | None) -> str | None:
    """Why the table does not apply to this patient and study ("age", "history", "modality"),
    or None where it may (what is unknown does not exclude it). The table is for nodules found
    on CT in adults >= 35 with no known cancer, not immunocompromised, not being screened."""
    if age is not None and age < MIN_AGE:
        return "age"
    if history and _EXCLUDED_HISTORY_RE.search(history):
        return "history"
    if modality is not None and modality != "CT":
        return "modality"
    return None
