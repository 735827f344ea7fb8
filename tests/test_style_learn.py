"""Learning a profile from prior reports, and the round trip: style -> learn -> same style."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from export.corpus import generate_cases, render_report
from python_models.facts import extract_facts
from python_models.sections import parse_sections
from python_models.style import cli
from python_models.style.apply import style_impression
from python_models.style.learn import LEARNED_FIELDS, LearnError, learn_profile
from python_models.style.profile import StyleProfile, parse_profile
from python_models.style.service import generic_normal
from python_models.style.store import StyleStore
from python_models.style.synonyms import SYNONYM_GROUPS

MODALITIES = ("XR", "CT", "MR", "US")

# A style unlike the corpus's own (numbered "1.", lower-case sides, inline recommendations).
KNOWN = parse_profile(
    {
        "radiologist_id": "dr_known",
        "rules": {
            "list_style": "bulleted",
            "bullet": "•",
            "number_single_item": True,
            "terminal_period": False,
            "laterality_case": "upper",
            "recommendations": "separate",
            "term_preferences": {
                "consolidation": "airspace disease",
                "airspace consolidation": "airspace disease",
                "cholelithiasis": "gallstones",
                # the corpus's own habit, which any learner must see too
                "central line": "central venous catheter",
            },
            # not learnable: must not leak into the comparison
            "units": "mm",
        },
        "overrides": {
            "XR": {"normal_phrase": "Normal chest radiograph"},
            "CT": {"normal_phrase": "No acute findings"},
            "MR": {"normal_phrase": "Unremarkable MRI"},
            "US": {"normal_phrase": "Unremarkable ultrasound examination"},
        },
    }
)


# A second one close to the corpus's habits but numbered "1)".
KNOWN_NUMBERED = parse_profile(
    {
        "radiologist_id": "dr_numbered",
        "rules": {
            "list_style": "numbered",
            "numbering": "1)",
            "laterality_case": "lower",
            "recommendations": "inline",
            "term_preferences": {
                "gallstones": "cholelithiasis",
                "central line": "central venous catheter",
            },
            "hedging": {"likely": "probably"},
        },
        "overrides": {
            "XR": {"normal_phrase": "No acute cardiopulmonary abnormality"},
            "CT": {"normal_phrase": "No acute process", "list_style": "prose"},
            "MR": {"normal_phrase": "Normal MRI"},
            "US": {"normal_phrase": "Normal ultrasound"},
        },
    }
)


def _prior_reports(profile: StyleProfile, n: int, seed: int) -> list[dict]:
    records = []
    for case in generate_cases(n, seed=seed):
        styled = style_impression(
            case["impression"], profile.rules_for(case["modality"]), generic_normal
        )
        assert extract_facts(styled) == extract_facts(case["impression"]), case["id"]
        records.append(
            {"report_text": render_report({**case, "impression": styled}), "exam": case["exam"]}
        )
    return records


def _learnable(profile: StyleProfile, modality: str) -> dict:
    rules = profile.rules_for(modality).model_dump()
    return {name: rules[name] for name in LEARNED_FIELDS}


@pytest.mark.parametrize("known", [KNOWN, KNOWN_NUMBERED], ids=lambda p: p.radiologist_id)
def test_round_trip_learns_the_style_it_was_written_in(known: StyleProfile) -> None:
    records = _prior_reports(known, 400, seed=11)
    result = learn_profile(records, known.radiologist_id)
    assert result.reports_used == 400
    impressions = " ".join(parse_sections(r["report_text"]).impression.lower() for r in records)
    for modality in MODALITIES:
        learned, expected = _learnable(result.profile, modality), _learnable(known, modality)
        learned_terms = learned.pop("term_preferences")
        expected_terms = expected.pop("term_preferences")
        assert learned == expected, modality
        # every preference written into the reports is learned; a preference beyond them may
        # only restate the writing (its non-preferred variant never appears in an impression,
        # e.g. "airspace consolidation" seen in findings, always "consolidation" in impressions)
        assert learned_terms.items() >= expected_terms.items(), modality
        for source in set(learned_terms) - set(expected_terms):
            assert not re.search(rf"\b{re.escape(source)}\b", impressions), source
    assert result.profile.rules.units == "as_written"  # not learnable: left at default
    assert result.profile.rules.hedging == {}


def test_round_trip_of_the_default_corpus_style() -> None:
    records = [{"report_text": render_report(c)} for c in generate_cases(200, seed=5)]
    rules = learn_profile(records, "dr_corpus").profile.rules
    assert (rules.list_style, rules.numbering, rules.number_single_item) == (
        "numbered",
        "1.",
        False,
    )
    assert (rules.laterality_case, rules.recommendations, rules.terminal_period) == (
        "lower",
        "inline",
        True,
    )


def test_unlearned_fields_are_kept_from_the_stored_profile() -> None:
    base = parse_profile(
        {
            "radiologist_id": "dr_known",
            "display_name": "Dr K",
            "rules": {"banned_phrases": ["correlate clinically"], "max_items": 4},
        }
    )
    learned = learn_profile(_prior_reports(KNOWN, 60, seed=2), "dr_known", base=base).profile
    assert learned.display_name == "Dr K"
    assert learned.rules.banned_phrases == ["correlate clinically"]
    assert learned.rules.max_items == 4
    assert learned.rules.list_style == "bulleted"


def test_fewer_than_twenty_reports_is_a_clear_error() -> None:
    records = _prior_reports(KNOWN, 19, seed=3)
    records.append({"report_text": "FINDINGS: Clear lungs."})  # no impression: skipped
    with pytest.raises(LearnError, match="need at least 20 prior reports .* got 19 \\(1 skipped"):
        learn_profile(records, "dr_known")


def test_term_preference_needs_seventy_percent() -> None:
    def report(term: str) -> dict:
        return {"report_text": f"EXAM: CT abdomen\nFINDINGS: Gallstones.\nIMPRESSION: {term}."}

    mixed = [report("Cholelithiasis")] * 13 + [report("Gallstones")] * 7  # 65%
    assert learn_profile(mixed, "dr_x").profile.rules.term_preferences == {}
    strong = [report("Cholelithiasis")] * 14 + [report("Gallstones")] * 6  # 70%
    assert learn_profile(strong, "dr_x").profile.rules.term_preferences == {
        "gallstones": "cholelithiasis"
    }


def test_synonym_groups_do_not_change_facts() -> None:
    for group in SYNONYM_GROUPS:
        facts = {extract_facts(f"Small right {v}. No {v} on the left.") for v in group}
        assert len(facts) == 1, group


def test_cli_learn_prints_evidence_and_stores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "prior.jsonl"
    reports.write_text("\n".join(json.dumps(r) for r in _prior_reports(KNOWN, 40, seed=4)))
    db = str(tmp_path / "s.sqlite")
    assert cli.main(["--db", db, "learn", "--radiologist", "dr_k", str(reports)]) == 0
    out = capsys.readouterr().out
    assert "learned from 40 reports" in out
    assert "list_style = 'bulleted'" in out and "multi-item impressions" in out
    assert StyleStore(db).get("dr_k").rules.laterality_case == "upper"

    few = tmp_path / "few.jsonl"
    few.write_text("\n".join(reports.read_text().splitlines()[:5]))
    assert cli.main(["--db", db, "learn", "--radiologist", "dr_f", str(few)]) == 1
    assert "need at least 20" in capsys.readouterr().err
    assert StyleStore(db).get("dr_f") is None


def test_example_profiles_never_fall_back_on_the_corpus(tmp_path: Path) -> None:
    """The shipped styles keep the facts of real-looking impressions (no STYLE_FALLBACK)."""
    from python_models.style.service import StyleService

    store = StyleStore(str(tmp_path / "s.sqlite"))
    examples = sorted((Path(__file__).parents[1] / "python_models/style/examples").glob("*.json"))
    for path in examples:
        store.put(parse_profile(path.read_text()))
    service = StyleService(str(tmp_path / "s.sqlite"))
    cases = generate_cases(150, seed=21)
    for path in examples:
        changed = 0
        for case in cases:
            text = case["impression"].replace("\n", " ")  # as the postprocess model sees it
            styled, warnings = service.apply(text, path.stem, case["modality"])
            assert warnings == [], (path.stem, case["id"])
            changed += styled != case["impression"]
        assert changed > len(cases) // 2, path.stem  # the style visibly applies


def test_invalid_learned_profile_is_a_summarised_profile_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic's own error text quotes input values; learn must not let it escape."""
    from python_models.style.profile import ProfileError

    records = _prior_reports(KNOWN, 20, seed=6)
    with pytest.raises(ProfileError) as info:
        learn_profile(records, "Mr Quorbly")
    message = str(info.value)
    assert message.startswith("learned style profile is invalid:")
    assert "radiologist_id" in message and "Quorbly" not in message

    reports = tmp_path / "prior.jsonl"
    reports.write_text("\n".join(json.dumps(r) for r in records))
    db = str(tmp_path / "s.sqlite")
    assert cli.main(["--db", db, "learn", "--radiologist", "Mr Quorbly", str(reports)]) == 1
    err = capsys.readouterr().err
    assert "radiologist_id" in err and "Quorbly" not in err and "input_value" not in err
