"""`impressions bench-post`: the edits switched on one per row, each row timed and compared."""

from __future__ import annotations

from export.bench_postprocess import edit_steps, render, time_postprocess
from export.tiny_model import build_tokenizer
from python_models.postprocess import EDITS


def test_each_row_switches_on_one_more_edit_in_postprocess_order() -> None:
    steps = edit_steps()
    assert len(steps) == len(EDITS) + 1
    assert not any(steps[0][1].values())
    for i, (_, switches) in enumerate(steps):
        assert sum(switches.values()) == i
    assert all(steps[-1][1].values())


def test_rows_count_the_answers_an_edit_changes() -> None:
    tokenizer = build_tokenizer()
    findings = "Pleura: There is a moderate right pleural effusion. Moderate left pleural effusion."
    text = "1. Moderate left pleural effusion. 2. Moderate right pleural effusion."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    jobs = [(ids, {"findings": findings, "warnings": []})] * 2
    rows = time_postprocess(jobs, tokenizer, edit_steps(), repeats=1)
    changed = {row.name: row.changed for row in rows}
    assert changed["every edit off (the model's text)"] == 0
    assert changed["+ bilateral merge"] == 2  # the pair became one bilateral item
    assert all(row.median_ms > 0 and row.p95_ms >= row.median_ms for row in rows)
    table = render(rows, 2)
    assert "+ bilateral merge" in table and "2/2" in table and "effusion" not in table
