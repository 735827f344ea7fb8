"""Section parsing: case-insensitive headers, aliases, reports without headers."""

from python_models.sections import parse_sections


def test_all_sections_found_case_insensitively() -> None:
    text = (
        "exam: CT head without contrast\nIndication: fall\nTECHNIQUE: axial images\n"
        "Comparison: None.\nFindings:\nNo hemorrhage.\nNo mass effect.\nIMPRESSION: Normal."
    )
    s = parse_sections(text)
    assert s.exam == "CT head without contrast"
    assert s.indication == "fall"
    assert s.technique == "axial images"
    assert s.comparison == "None."
    assert s.findings == "No hemorrhage.\nNo mass effect."
    assert s.impression == "Normal."
    assert s.headers_found == (
        "exam",
        "indication",
        "technique",
        "comparison",
        "findings",
        "impression",
    )


def test_report_without_headers_is_all_findings() -> None:
    s = parse_sections("Lungs are clear. No pneumothorax.")
    assert s.findings == "Lungs are clear. No pneumothorax."
    assert s.impression == "" and s.headers_found == ()


def test_text_before_first_header_is_findings_when_no_findings_header() -> None:
    s = parse_sections("Small left effusion.\nIMPRESSION: Small left effusion.")
    assert s.findings == "Small left effusion."
    assert s.impression == "Small left effusion."


def test_header_words_inside_sentences_are_not_headers() -> None:
    s = parse_sections(
        "FINDINGS: History of prior surgery. Impression of the bowel wall is normal."
    )
    assert s.findings.startswith("History of prior surgery.")
    assert s.impression == ""


def test_report_with_headers_but_no_findings() -> None:
    s = parse_sections("EXAM: CT head\nIMPRESSION: Normal.")
    assert s.findings == ""
    assert s.exam == "CT head"


def test_aliases_and_dash_headers() -> None:
    s = parse_sections("Clinical history - cough\nConclusion: pneumonia\nfinding: RLL opacity")
    assert s.indication == "cough"
    assert s.impression == "pneumonia"
    assert s.findings == "RLL opacity"


def test_inline_capital_headers_in_a_one_line_report() -> None:
    s = parse_sections(
        "EXAM: CT chest without contrast. FINDINGS: 7 mm nodule in the right upper lobe. "
        "No pneumothorax. IMPRESSION: Right upper lobe nodule."
    )
    assert s.exam == "CT chest without contrast."
    assert s.findings == "7 mm nodule in the right upper lobe. No pneumothorax."
    assert s.impression == "Right upper lobe nodule."


def test_inline_lowercase_words_with_colon_are_not_headers() -> None:
    s = parse_sections("FINDINGS: Patient history: smoker. Comparison: none available.")
    assert s.findings == "Patient history: smoker. Comparison: none available."
    assert s.indication == "" and s.comparison == ""
