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
        (_profile(term_preferences={"effusion": "Effusion"}), "maps to itself"),
        (_profile(hedging={"likely": "probably", "probably": "possibly"}), "both replaced"),
        (_profile(abbreviations_expand={"pulmonary embolism": "PE"}), "not an abbreviation"),
        (
            _profile(
                abbreviations_expand={"PE": "pulmonary embolism"},
                abbreviations_keep={"PE": "pulmonary embolism"},
            ),
            "both expanded and kept",
        ),
        ({"radiologist_id": "dr x; drop table"}, "radiologist_id"),
        ({"radiologist_id": "dr_x", "schema_version": 2}, "schema_version"),
        ({"radiologist_id": "dr_x", "overrides": {"PET": {}}}, "overrides.PET"),
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
