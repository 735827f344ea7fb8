"""Style profile schema: validation at write time, per-modality merge, example profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from python_models.style.profile import (
    DEFAULT_PROFILE,
    SCHEMA_VERSION,
    ProfileError,
    StyleProfile,
    parse_profile,
)

EXAMPLES = sorted((Path(__file__).parents[1] / "python_models/style/examples").glob("*.json"))


def _profile(**rules: object) -> dict:
    return {"radiologist_id": "dr_x", "rules": rules}


def test_defaults_are_the_default_style() -> None:
    profile = parse_profile({"radiologist_id": "dr_x"})
    assert profile.schema_version == SCHEMA_VERSION == 1
    assert profile.rules == DEFAULT_PROFILE.rules
    assert profile.rules.list_style == "numbered" and profile.rules.terminal_period


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_profile(list_style="table"), "rules.list_style"),
        (_profile(numbering="a."), "rules.numbering"),
        (_profile(max_items=0), "rules.max_items"),
        (_profile(colour="red"), "rules.colour"),
        (_profile(term_preferences={"effusion": "Effusion"}), "entry 1 maps a phrase to itself"),
        (_profile(hedging={"likely": "probably", "probably": "possibly"}), "entry 2 replaces"),
        (_profile(abbreviations_expand={"pulmonary embolism": "PE"}), "entry 1 is not an abbrev"),
        (
            _profile(
                abbreviations_expand={"PE": "pulmonary embolism"},
                abbreviations_keep={"PE": "pulmonary embolism"},
            ),
            "abbreviations_expand entry 1 is also abbreviations_keep entry 1",
        ),
        ({"radiologist_id": "dr x; drop table"}, "radiologist_id"),
        ({"radiologist_id": "dr_x\n"}, "radiologist_id"),  # "$" alone would let it through
        ({"radiologist_id": "d" * 65}, "radiologist_id"),
        ({"radiologist_id": "dr_x", "schema_version": 2}, "schema_version"),
        ({"radiologist_id": "dr_x", "overrides": {"PET": {}}}, "overrides.<entry 1>.[key]"),
        ({"radiologist_id": "dr_x", "overrides": {"CT": {"units": "inch"}}}, "overrides.CT.units"),
    ],
)
def test_invalid_profiles_are_rejected_with_the_field_named(data: dict, expected: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(data)
    assert expected in str(info.value)
    assert str(info.value).startswith("invalid style profile:")


def test_error_summary_lists_every_problem_one_per_line() -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(_profile(list_style="table", units="inch"))
    lines = str(info.value).splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["rules.list_style", "rules.units"]


def test_overrides_merge_only_what_they_set() -> None:
    profile = parse_profile(
        {
            "radiologist_id": "dr_x",
            "rules": {"list_style": "prose", "laterality_case": "upper", "units": "mm"},
            "overrides": {"CT": {"list_style": "numbered", "normal_phrase": "No acute findings"}},
        }
    )
    ct = profile.rules_for("CT")
    assert (ct.list_style, ct.laterality_case, ct.units) == ("numbered", "upper", "mm")
    assert ct.normal_phrase == "No acute findings"
    assert profile.rules_for("XR") == profile.rules_for(None) == profile.rules
    assert profile.rules_for("PET") == profile.rules


def test_json_round_trip() -> None:
    profile = parse_profile(
        {"radiologist_id": "dr_x", "overrides": {"MR": {"bullet": "•", "list_style": "bulleted"}}}
    )
    again = parse_profile(profile.model_dump_json())
    assert again == profile


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_profiles_are_valid(path: Path) -> None:
    profile = StyleProfile.model_validate(json.loads(path.read_text()))
    assert profile.radiologist_id == path.stem


def test_five_example_profiles_ship() -> None:
    assert len(EXAMPLES) >= 5


PHI = "Mr Quorbly"  # a name typed into a profile by mistake: must never be echoed


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_profile(term_preferences={PHI: PHI.lower()}), "term_preferences: entry 1 maps"),
        (
            _profile(term_preferences={"nodule": "mass", PHI: "x y", PHI.upper(): "z w"}),
            "entry 3 repeats the phrase of entry 2",
        ),
        (_profile(hedging={"a b": PHI, PHI: "c d"}), "hedging: entry 2 replaces"),
        (_profile(term_preferences={" ": PHI}), "entry 1 has an empty phrase"),
        (_profile(abbreviations_expand={PHI: PHI + " long"}), "entry 1 is not an abbreviation"),
        (_profile(abbreviations_keep={"Quorbly": "Quorb"}), "entry 1 has a full form no longer"),
        (
            _profile(
                abbreviations_expand={"PE": "pulmonary embolism", "Quorbly": "Quorbly Smith"},
                abbreviations_keep={"quorbly": "Quorbly Smith"},
            ),
            "abbreviations_expand entry 2 is also abbreviations_keep entry 1",
        ),
        # pydantic's own errors: a phrase-map key in the error path is shown by position
        (_profile(term_preferences={"nodule": "mass", PHI * 30: "x"}), "preferences.<entry 2>"),
        (_profile(hedging={PHI: ""}), "hedging.<entry 1>"),
        (_profile(**{PHI: "x"}), "rules.<entry 1>: Extra inputs"),
        ({"radiologist_id": "dr_x", "overrides": {PHI: {}}}, "overrides.<entry 1>.[key]"),
        ({"radiologist_id": PHI}, "radiologist_id: Value error, must be 1-64"),
        ({"radiologist_id": "dr_x", "display_name": PHI * 20}, "display_name: String should"),
        (_profile(normal_phrase=PHI * 30), "rules.normal_phrase: String should"),
    ],
)
def test_errors_name_the_position_and_rule_never_the_value(data: dict, expected: str) -> None:
    for raw in (data, json.dumps(data)):
        with pytest.raises(ProfileError) as info:
            parse_profile(raw)
        message = str(info.value)
        assert expected in message
        assert "quorbly" not in message.lower()
        assert "input_value" not in message


def test_a_field_name_typo_is_still_named() -> None:
    with pytest.raises(ProfileError, match=r"overrides\.CT\.colour: Extra inputs"):
        parse_profile({"radiologist_id": "dr_x", "overrides": {"CT": {"colour": "red"}}})
