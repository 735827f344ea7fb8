"""Check a radiologist's own full report (FINDINGS + IMPRESSION) — the `report_check` model.

The same checks that guard generated impressions also help a radiologist sign a dictated
report. Validation errors raise ``InvalidRequest`` with messages that name the rule, never the
text, so the Triton adapter can return them per request and log them safely.
"""

from __future__ import annotations

from dataclasses import dataclass

from python_models.request_fields import (
    DEFAULT_MAX_REPORT_BYTES,
    MAX_EXAM_CHARS,
    InvalidRequest,
    decode_report_text,
    decode_text,
    parse_exam,
    parse_patient_age,
    parse_patient_sex,
)
from python_models.safety.checks import CheckContext, run_checks
from python_models.sections import parse_sections

# DEFAULT_MAX_REPORT_BYTES is shared with preprocess: a report this model accepts should also be
# one the ensemble accepts.


@dataclass(frozen=True)
class ReportCheckRequest:
    """One row as it arrives: BYTES elements, or None for an optional input not sent."""

    report_text: bytes | str | None
    exam: bytes | str | None = None
    patient_sex: bytes | str | None = None
    patient_age: bytes | str | None = None


def check_report(
    row: ReportCheckRequest, max_report_bytes: int = DEFAULT_MAX_REPORT_BYTES
) -> list[dict]:
    """Warnings for one full report; raises InvalidRequest for a report that cannot be checked.

    Spans are offsets into the FINDINGS / IMPRESSION section text as ``parse_sections`` returns
    it (runs of spaces collapsed), which a client reproduces with the same function.
    """
    text = decode_report_text(row.report_text, max_report_bytes)
    sections = parse_sections(text)
    missing = [
        name.upper()
        for name in ("findings", "impression")
        if name not in sections.headers_found or not getattr(sections, name).strip()
    ]
    if missing:
        raise InvalidRequest(
            "report_text needs non-empty FINDINGS and IMPRESSION sections; missing: "
            + ", ".join(missing)
        )
    exam = parse_exam(decode_text(row.exam, "exam")) or parse_exam(sections.exam[:MAX_EXAM_CHARS])
    context = CheckContext(
        exam=exam,
        patient_sex=parse_patient_sex(decode_text(row.patient_sex, "patient_sex")),
        patient_age=parse_patient_age(decode_text(row.patient_age, "patient_age")),
        # No COMPARISON header = unknown (None), which keeps COMPARE_NO_PRIOR quiet.
        comparison=sections.comparison if "comparison" in sections.headers_found else None,
        indication=sections.indication or None,
    )
    # a radiologist's own impression: the lexicon checks and the generic reading of its wording
    return run_checks(sections.findings, sections.impression, context, read_wording=True)
