"""Optional inputs are validated with messages that never echo the value."""

import pytest

from python_models.request_fields import InvalidRequest, decode_text, parse_context


def test_valid_context_is_normalised() -> None:
    ctx = parse_context("dr.smith-01", "  CT   chest ", "F", "54Y")
    assert ctx.radiologist_id == "dr.smith-01"
    assert ctx.exam == "CT chest"
    assert ctx.patient_sex == "female"
    assert ctx.patient_age == 54


def test_missing_context_is_none() -> None:
    ctx = parse_context(None, "", None, " ")
    assert ctx == parse_context(None, None, "unknown", None)
    assert ctx.patient_sex is None and ctx.patient_age is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("John Smith MRN 123", None, None, None), "radiologist_id must be"),
        ((None, None, "banana", None), "patient_sex must be"),
        ((None, None, None, "200"), "patient_age must be"),
        ((None, None, None, "fifty"), "patient_age must be"),
        ((None, "x" * 300, None, None), "exam must be"),
    ],
)
def test_bad_values_raise_without_echoing(fields: tuple, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as info:
        parse_context(*fields)
    for value in fields:
        if value and len(value) > 3:
            assert value not in str(info.value)


def test_invalid_utf8_is_a_clear_error() -> None:
    with pytest.raises(InvalidRequest, match="not valid UTF-8"):
        decode_text(b"\xff\xfeabc", "report_text")
    assert decode_text("é".encode(), "report_text") == "é"


def test_one_sex_vocabulary_for_requests_and_checks() -> None:
    """request parsing and the SEX_MISMATCH check read patient_sex with the same table."""
    from python_models.request_fields import parse_patient_sex, sex_of
    from python_models.safety import CheckContext, run_checks

    for spelling, sex in [("F", "female"), ("girl", "female"), ("Boy", "male"), ("x", "other")]:
        assert sex_of(spelling) == parse_patient_sex(spelling) == sex
    assert sex_of("martian") is None and sex_of(None) is None
    codes = [
        w["code"]
        for w in run_checks("Normal study.", "Enlarged prostate.", CheckContext(patient_sex="girl"))
    ]
    assert "SEX_MISMATCH" in codes
