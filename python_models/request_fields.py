"""Validate the optional context inputs of a request (sex, age, ids).

Each problem raises `InvalidRequest` with a message that names the field and the rule, never the
value, because values may be patient data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ID_CHARS = 128
# The largest report any model accepts (preprocess, report_check): far above a real report.
DEFAULT_MAX_REPORT_BYTES = 128 * 1024
MAX_EXAM_CHARS = 256

_SEX = {
    "f": "female",
    "female": "female",
    "w": "female",
    "woman": "female",
    "girl": "female",
    "m": "male",
    "male": "male",
    "man": "male",
    "boy": "male",
    "o": "other",
    "other": "other",
    "x": "other",
    "u": None,
    "unknown": None,
    "": None,
}
_AGE_RE = re.compile(r"^\s*(\d{1,3})\s*(y|yr|yrs|year|years|yo)?\s*$", re.I)
_ID_RE = re.compile(r"^[A-Za-z0-9._@:-]+$")


class InvalidRequest(ValueError):
    """A request that can never succeed; its message is safe to return and to log."""


@dataclass(frozen=True)
class RequestContext:
    """The validated optional inputs that travel with a report."""

    radiologist_id: str | None = None
    exam: str | None = None
    patient_sex: str | None = None
    patient_age: int | None = None


def decode_text(raw: bytes | str | None, field: str) -> str | None:
    """UTF-8 decode one BYTES element; None stays None."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"{field} is not valid UTF-8 (byte {exc.start})") from None


def decode_report_text(raw: bytes | str | None, max_bytes: int) -> str:
    """The report as text: sent, within ``max_bytes`` (checked before decoding), UTF-8, not blank.

    One rule for every model that takes `report_text` (preprocess, report_check).
    """
    if raw is None:
        raise InvalidRequest("report_text is required")
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise InvalidRequest(f"report_text is {size} bytes; the limit is {max_bytes} bytes")
    text = decode_text(raw, "report_text") or ""
    if not text.strip():
        raise InvalidRequest("report_text is empty")
    return text


def sex_of(value: str | None) -> str | None:
    """ "female", "male", "other" or None for any spelling this project accepts; None also for
    an unknown spelling (callers that must reject those use `parse_patient_sex`)."""
    return _SEX.get((value or "").strip().lower())


def parse_patient_sex(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip().lower()
    if key not in _SEX:
        raise InvalidRequest("patient_sex must be one of F, M, O, U (or female/male/other/unknown)")
    return _SEX[key]


def parse_patient_age(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    match = _AGE_RE.match(value)
    if not match or int(match.group(1)) > 130:
        raise InvalidRequest("patient_age must be whole years between 0 and 130, e.g. '54'")
    return int(match.group(1))


def parse_radiologist_id(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_ID_CHARS or not _ID_RE.match(value):
        raise InvalidRequest(
            f"radiologist_id must be 1-{MAX_ID_CHARS} characters of letters, digits, '._@:-'"
        )
    return value


def parse_exam(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = " ".join(value.split())
    if len(value) > MAX_EXAM_CHARS:
        raise InvalidRequest(f"exam must be at most {MAX_EXAM_CHARS} characters")
    return value


def parse_context(
    radiologist_id: str | None, exam: str | None, patient_sex: str | None, patient_age: str | None
) -> RequestContext:
    """Validate all optional inputs at once."""
    return RequestContext(
        radiologist_id=parse_radiologist_id(radiologist_id),
        exam=parse_exam(exam),
        patient_sex=parse_patient_sex(patient_sex),
        patient_age=parse_patient_age(patient_age),
    )
