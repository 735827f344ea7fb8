"""Metric functions of `impressions eval` on small hand-made examples."""

from __future__ import annotations

import pytest

from export.corpus import generate_cases
from export.evaluate import (
    CARD_END,
    CARD_START,
    baseline_impression,
    critical_found,
    laterality_correct,
    measurements,
    measurements_preserved,
    negated_terms,
    negation_correct,
    score,
    write_card_table,
)


def test_flipped_dropped_or_added_side_is_caught() -> None:
    ref = "1. Small right pleural effusion. 2. Left lower lobe consolidation."
    assert laterality_correct(ref, ref)
    assert not laterality_correct(ref, ref.replace("right", "left"))
    assert not laterality_correct(
        ref, "1. Small pleural effusion. 2. Left lower lobe consolidation."
    )
    assert not laterality_correct(ref, ref + " Right apical pneumothorax.")
    assert laterality_correct(
        "Small bilateral pleural effusions.", "Bilateral small pleural effusions."
    )


def test_measurements_need_same_number_and_unit() -> None:
    assert measurements("A 2.4 x 1.8 cm mass and a 6 mm nodule.") == ["2.4 x 1.8 cm", "6 mm"]
    assert measurements_preserved("6 mm nodule.", "Nodule, 6 mm.")
    assert not measurements_preserved("1.2 cm cyst.", "12 mm cyst.")
    assert not measurements_preserved("2.4 x 1.8 cm mass.", "2.4 cm mass.")
    assert not measurements_preserved("6 mm and 6 mm.", "6 mm.")


def test_negation_flip_is_caught() -> None:
    assert negated_terms("No pneumothorax. No pleural effusion or consolidation.") == {
        "pneumothorax",
        "pleural effusion",
        "consolidation",
    }
    assert negation_correct("No pulmonary embolism.", "No pulmonary embolism.")
    assert not negation_correct("No pulmonary embolism.", "Acute pulmonary embolism.")
    assert not negation_correct(
        "Small right pneumothorax.", "No pneumothorax.", positive_terms=[r"pneumothora"]
    )
    assert negation_correct(
        "Small right pneumothorax.", "Small right pneumothorax.", positive_terms=[r"pneumothora"]
    )


def test_critical_recall_ignores_negated_mentions() -> None:
    assert critical_found(
        "1. Acute right lower lobe segmental pulmonary embolism.", r"pulmonary embol"
    )
    assert not critical_found("No pulmonary embolism.", r"pulmonary embol")
    assert not critical_found("Small right pleural effusion.", r"pulmonary embol")


def test_baseline_keeps_abnormal_sentences_only() -> None:
    findings = (
        "Lungs: The lungs are clear.\nPleura: Small right pleural effusion. "
        "No pneumothorax.\nBones: No acute fracture."
    )
    assert baseline_impression(findings) == "Small right pleural effusion."
    assert baseline_impression("Lungs: The lungs are clear.") == "No acute abnormality."


def test_reference_scores_perfectly_and_baseline_does_not() -> None:
    cases = generate_cases(60, seed=5, split="test")
    refs = [" ".join(c["impression"].split()) for c in cases]
    perfect = score("oracle", cases, refs, 0.0)
    assert perfect.rougeL == pytest.approx(1.0)
    assert perfect.measurement_preservation == 1.0
    assert perfect.laterality_correctness == 1.0
    assert perfect.negation_correctness == 1.0
    assert perfect.critical_recall == 1.0
    flipped = [
        r.replace("left", "LEFTX").replace("right", "left").replace("LEFTX", "right") for r in refs
    ]
    assert score("flipped", cases, flipped, 0.0).laterality_correctness < 0.5
    base = score("baseline", cases, [baseline_impression(c["findings_text"]) for c in cases], 0)
    assert base.rougeL < 0.8
    assert base.errors_flagged is None and base.as_row()[8] == "-"


def test_flagged_errors_and_false_alarms_are_counted_per_case() -> None:
    cases = generate_cases(40, seed=5, split="test")
    refs = [" ".join(c["impression"].split()) for c in cases]
    sided = [i for i, r in enumerate(refs) if " left " in f" {r.lower()} "][:4]
    assert len(sided) == 4
    outputs = list(refs)
    for i in sided:
        outputs[i] = refs[i].replace("left", "right").replace("Left", "Right")
    blocked = [False] * len(cases)
    blocked[sided[0]] = blocked[sided[1]] = True  # two of the four errors caught
    clean = next(i for i in range(len(cases)) if i not in sided)
    blocked[clean] = True  # and one false alarm
    scores = score("model", cases, outputs, 0.0, blocked=blocked)
    assert scores.errors == 4
    assert scores.errors_flagged == pytest.approx(0.5)
    assert scores.false_alarms == pytest.approx(1 / (len(cases) - 4))
    assert scores.as_row()[8:10] == ["50% of 4", f"{100 / (len(cases) - 4):.1f}%"]
    assert scores.flagged_by_kind["laterality"] == [2, 4]
    assert "laterality 2/4" in scores.flagged_note()
    perfect = score("oracle", cases, refs, 0.0, blocked=[False] * len(cases))
    assert perfect.errors == 0 and perfect.errors_flagged is None
    assert perfect.as_row()[8:10] == ["no errors", "0.0%"]


def test_model_card_table_is_replaced(tmp_path) -> None:
    card = tmp_path / "README.md"
    card.write_text(f"# Card\n{CARD_START}\nold\n{CARD_END}\ntail\n")
    write_card_table(card, "new table")
    assert card.read_text() == f"# Card\n{CARD_START}\nnew table\n{CARD_END}\ntail\n"
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ValueError):
        write_card_table(tmp_path / "plain.md", "x")


def test_eval_feeds_the_model_what_preprocess_would() -> None:
    from export.corpus import generate_cases
    from export.evaluate import prepare_cases
    from export.tiny_model import build_tokenizer
    from export.tokenizer_train import add_placeholder_tokens
    from export.train import source_text
    from python_models.measurement_placeholders import mask_measurements

    cases = generate_cases(6, seed=3, split="test")
    slots = build_tokenizer()
    add_placeholder_tokens(slots)
    prepared = prepare_cases(cases, slots)
    for case, done in zip(cases, prepared, strict=True):
        assert done.input_ids == slots(source_text(case))["input_ids"]
        assert done.context["exam"] == case["exam"]
        assert done.context["patient_sex"][0].upper() == case["patient"]["sex"]
        assert done.context["patient_age"] == case["patient"]["age"]
        assert done.context["findings"].strip() == case["findings_text"].strip()
        assert case["impression"] not in done.context["findings"]
        values = mask_measurements(done.context["findings"])[1]
        assert done.context["measurement_values"] == values


def _echo_candidates(first: list[int] | None):  # noqa: ANN202
    """A fake engine: per row, ``first`` (when given) and then the input itself."""

    def gen(ids, mask):  # noqa: ANN001, ANN202
        rows = []
        for row in ids:
            echo = [int(i) for i in row if i > 1]
            rows.append([first, echo] if first else [echo])
        return rows

    return gen


def test_eval_finishes_candidates_as_postprocess_does() -> None:
    """Placeholders are written back and, given candidates, the one the safety checks object
    to least is kept (here: the echo of the findings, over a first candidate the checks flag)."""
    from export.evaluate import _generate_batched
    from export.tiny_model import build_tokenizer
    from export.tokenizer_train import add_placeholder_tokens
    from python_models.preprocess import PreparedReport

    slots = build_tokenizer()
    add_placeholder_tokens(slots)
    findings = "Right lower lobe nodule <n0>. No pneumothorax."
    context = {
        "findings": "Right lower lobe nodule 7 mm. No pneumothorax.",
        "measurement_values": ["7 mm"],
        "warnings": [],
    }
    prepared = [PreparedReport(slots(findings)["input_ids"], dict(context))]
    echoed, first, blocked, unaided, seconds = _generate_batched(
        prepared, slots, _echo_candidates(None), 2
    )
    assert seconds > 0
    assert unaided == echoed  # nothing critical left out: completion changes nothing
    assert echoed == first == ["Right lower lobe nodule 7 mm. No pneumothorax."]
    assert blocked == [False]
    flipped = slots("left lower lobe nodule <n0>.", add_special_tokens=False)["input_ids"]
    kept, first, blocked, _, _ = _generate_batched(prepared, slots, _echo_candidates(flipped), 2)
    assert kept == echoed and first == ["left lower lobe nodule 7 mm."] and blocked == [False]
    # the flipped side alone: the model's text is scored apart; served, the statement is
    # replaced by the findings sentence (item grounding) and sent back for review
    alone = _generate_batched(prepared, slots, lambda ids, mask: [[flipped]], 2)
    assert alone.unaided == first and alone.blocked == [True]
    assert alone.kept == ["Right lower lobe nodule 7 mm."]
    ungrounded = _generate_batched(
        prepared,
        slots,
        lambda ids, mask: [[flipped]],
        2,
        ground_items=False,
        hold_to_findings=False,
    )
    assert ungrounded.kept == first and ungrounded.blocked == [True]
    # the findings gate alone also replaces the wrong side by the findings sentence
    gated = _generate_batched(prepared, slots, lambda ids, mask: [[flipped]], 2, ground_items=False)
    assert gated.kept == ["Right lower lobe nodule 7 mm."] and gated.blocked == [True]
    negation_flip = slots("Pneumothorax.", add_special_tokens=False)["input_ids"]
    assert _generate_batched(prepared, slots, _echo_candidates(negation_flip), 2)[0] == echoed


def test_eval_scores_the_completed_answer_and_the_models_own_text_apart() -> None:
    """With completion on, `kept` holds the omitted critical finding put back (and blocked for
    review); `unaided` and `first` hold what the model wrote."""
    from export.evaluate import _generate_batched
    from export.tiny_model import build_tokenizer
    from python_models.preprocess import PreparedReport

    tokenizer = build_tokenizer()
    context = {
        "findings": "Small volume ascites. There is small volume pneumoperitoneum.",
        "warnings": [],
    }
    prepared = [PreparedReport(tokenizer("Small volume ascites.")["input_ids"], dict(context))]
    ascites = tokenizer("Small volume ascites.", add_special_tokens=False)["input_ids"]
    served = _generate_batched(prepared, tokenizer, lambda ids, mask: [[ascites]], 2)
    assert served.kept == ["1. Small volume pneumoperitoneum. 2. Small volume ascites."]
    assert served.unaided == served.first == ["Small volume ascites."]
    assert served.blocked == [True]
    plain = _generate_batched(
        prepared,
        tokenizer,
        lambda ids, mask: [[ascites]],
        2,
        complete_critical=False,
        ground_items=False,
    )
    assert plain.kept == ["Small volume ascites."] and plain.blocked == [True]  # CRIT_MISS
    # item grounding alone adds the omitted finding too, after what the model stated
    grounded = _generate_batched(
        prepared, tokenizer, lambda ids, mask: [[ascites]], 2, complete_critical=False
    )
    assert grounded.kept == ["1. Small volume ascites. 2. Small volume pneumoperitoneum."]
    assert grounded.blocked == [True]


def test_eval_decodes_as_the_server_is_configured(tmp_path) -> None:
    from pathlib import Path

    from export.evaluate import Decoding, served_decoding

    config = Path(__file__).resolve().parent.parent / "model_repository/generator/config.pbtxt"
    served = served_decoding(config)
    text = config.read_text()
    assert f'key: "num_beams"       value: {{ string_value: "{served.num_beams}" }}' in text
    other = tmp_path / "config.pbtxt"
    other.write_text(
        text.replace(
            f'key: "num_beams"       value: {{ string_value: "{served.num_beams}" }}',
            'key: "num_beams"       value: { string_value: "6" }',
        ).replace(
            f'key: "num_candidates"  value: {{ string_value: "{served.num_candidates}" }}',
            'key: "num_candidates"  value: { string_value: "3" }',
        )
    )
    assert served_decoding(other) == Decoding(6, 3)
    from export.evaluate import config_parameters

    engine = config_parameters(config, {"engine": "x", "precision": "x", "max_new_tokens": "7"})
    assert engine == {"engine": "onnxruntime", "precision": "fp32", "max_new_tokens": "7"}
    assert Decoding(1, 1).describe() == "greedy decoding"
    assert "3 candidates" in Decoding(6, 3).describe()


def test_wrong_cases_are_written_for_analysis(tmp_path) -> None:
    import json

    from export.evaluate import judge, write_errors

    cases = generate_cases(40, seed=5, split="test")
    refs = [" ".join(c["impression"].split()) for c in cases]
    i = next(i for i, r in enumerate(refs) if " left " in f" {r.lower()} ")
    outputs = list(refs)
    outputs[i] = refs[i].replace("left", "right").replace("Left", "Right")
    assert judge(cases[i], refs[i]).errors() == []
    path = tmp_path / "errors.jsonl"
    assert write_errors(path, cases, outputs, [True] * len(cases)) == 1
    (row,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert row["id"] == cases[i]["id"] and "laterality" in row["errors"] and row["flagged"]
    assert row["output"] == outputs[i] and row["reference"] == refs[i]


def test_scores_are_split_by_held_out_finding_pair() -> None:
    from export.evaluate import held_out_pair_notes

    cases = generate_cases(60, seed=5, split="test")
    refs = [" ".join(c["impression"].split()) for c in cases]
    with_pair, without = held_out_pair_notes(cases, refs)
    n_with = int(with_pair.split(" cases ")[0].rsplit(" ", 1)[1])
    n_without = int(without.split(" cases ")[0].rsplit(" ", 1)[1])
    assert n_with > 0 and n_with + n_without == len(cases)
    assert "ROUGE-L 1.000" in with_pair and "critical recall 100.0%" in without
    blank = held_out_pair_notes(cases, ["No acute abnormality."] * len(cases))
    assert "ROUGE-L 1.000" not in blank[0]
