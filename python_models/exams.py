"""Map free-text exam names to a modality and body region.

Style profiles override per modality and safety checks compare body parts with the exam, so
both need the same reading of strings such as "CT abdomen/pelvis with contrast".
"""

from __future__ import annotations

import re

MODALITIES = ("XR", "CT", "MR", "US")

_MODALITY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("CT", re.compile(r"\b(ct|cta|computed tomography)\b", re.I)),
    ("MR", re.compile(r"\b(mri|mr|mra|magnetic resonance)\b", re.I)),
    ("US", re.compile(r"\b(us|ultrasound|sonograph\w*|duplex|doppler)\b", re.I)),
    (
        "XR",
        re.compile(
            r"\b(xr|x-ray|xray|radiograph\w*|cxr|portable|pa and lateral|pa/lateral)\b", re.I
        ),
    ),
)

_REGION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("head", re.compile(r"\b(head|brain)\b", re.I)),
    ("spine", re.compile(r"\b(spine|lumbar|cervical|thoracic spine)\b", re.I)),
    ("chest", re.compile(r"\b(chest|thorax|pulmonary|pe protocol|cxr)\b", re.I)),
    (
        "abdomen",
        re.compile(
            r"\b(abdomen|abdominal|pelvis|pelvic|ruq|upper quadrant|renal|kidney|liver|"
            r"prostate|scrotum|scrotal|testicular|testis|testes|bladder|uterus|uterine|ovary|"
            r"ovaries|ovarian|transvaginal)\b",
            re.I,
        ),
    ),
    ("extremity", re.compile(r"\b(extremity|leg|venous duplex|arm)\b", re.I)),
)


def modality_of(exam: str | None) -> str | None:
    """Return "XR", "CT", "MR" or "US" for an exam description, or None when unknown."""
    if not exam:
        return None
    for modality, pattern in _MODALITY_PATTERNS:
        if pattern.search(exam):
            return modality
    return None


def region_of(exam: str | None) -> str | None:
    """Return the body region ("head", "chest", ...) an exam covers, or None when unknown."""
    if not exam:
        return None
    for region, pattern in _REGION_PATTERNS:
        if pattern.search(exam):
            return region
    return None
