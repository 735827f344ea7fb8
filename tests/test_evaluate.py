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


def test_model_card_table_is_replaced(tmp_path) -> None:
    card = tmp_path / "README.md"
    card.write_text(f"# Card\n{CARD_START}\nold\n{CARD_END}\ntail\n")
    write_card_table(card, "new table")
    assert card.read_text() == f"# Card\n{CARD_START}\nnew table\n{CARD_END}\ntail\n"
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ValueError):
        write_card_table(tmp_path / "plain.md", "x")


def test_eval_feeds_the_model_what_preprocess_would() -> None:
    from export.evaluate import _generate_batched, model_sources
    from export.tiny_model import build_tokenizer
    from export.tokenizer_train import add_placeholder_tokens

    findings = ["Right lower lobe nodule 7 mm. Cyst 2.1 x 1.4 cm.", "No pneumothorax."]
    plain = build_tokenizer()
    assert model_sources(findings, plain) == (findings, [None, None])
    slots = build_tokenizer()
    add_placeholder_tokens(slots)
    sources, values = model_sources(findings, slots)
    assert sources[0] == "Right lower lobe nodule <n0>. Cyst <n1>."
    assert values == [["7 mm", "2.1 x 1.4 cm"], []]

    def echo(ids, mask):  # noqa: ANN001, ANN202 - "generates" its input, for the unmask path
        return [[int(i) for i in row if i > 1] for row in ids]

    assert _generate_batched(sources, slots, echo, 2, values) == findings


def test_eval_decodes_as_the_server_is_configured(tmp_path) -> None:
    from pathlib import Path

    from export.evaluate import served_num_beams

    config = Path(__file__).resolve().parent.parent / "model_repository/generator/config.pbtxt"
    assert served_num_beams(config) == 1
    beams = tmp_path / "config.pbtxt"
    beams.write_text(
        config.read_text().replace(
            'key: "num_beams"       value: { string_value: "1" }',
            'key: "num_beams"       value: { string_value: "4" }',
        )
    )
    assert served_num_beams(beams) == 4
