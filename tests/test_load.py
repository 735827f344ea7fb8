"""Load-test pieces without a server: /metrics parsing, input data, perf_analyzer I/O, chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clients.load import (
    DEFAULT_INPUT_DATA,
    StepPlan,
    StepResult,
    markdown_table,
    parse_perf_csv,
    perf_analyzer_command,
    write_csvs,
    write_input_data,
)
from clients.load_chart import render_chart
from clients.load_metrics import ModelTimes, breakdown, parse_metrics

METRICS = """# HELP nv_inference_request_success Number of successful inference requests
# TYPE nv_inference_request_success counter
nv_inference_request_success{model="generator",version="1"} 100
nv_inference_request_success{model="generator",version="2"} 20
nv_inference_request_success{model="preprocess",version="1"} 120
nv_inference_count{model="generator",version="1"} 120
nv_inference_exec_count{model="generator",version="1"} 30
nv_inference_queue_duration_us{model="generator",version="1"} 240000
nv_inference_compute_input_duration_us{model="generator",version="1"} 1200
nv_inference_compute_infer_duration_us{model="generator",version="1"} 1188000
nv_inference_compute_output_duration_us{model="generator",version="1"} 10800
nv_inference_request_duration_us{model="generator",version="1"} 1500000
nv_inference_request_failure{model="generator",reason="REJECTED",version="1"} 3
nv_cpu_utilization 0.5
nv_gpu_utilization{gpu_uuid="GPU-1"} 0.9
"""


def test_parse_metrics_sums_versions_and_skips_others() -> None:
    snapshot = parse_metrics(METRICS)
    assert snapshot[("nv_inference_request_success", "generator")] == 120
    assert snapshot[("nv_inference_request_success", "preprocess")] == 120
    assert not any(name == "nv_inference_request_failure" for name, _ in snapshot)
    assert all(model in {"generator", "preprocess"} for _, model in snapshot)


def test_breakdown_is_per_request_in_ms() -> None:
    before = parse_metrics(METRICS)
    after = {key: value * 2 for key, value in before.items()}  # the same work once more
    rows = {row.model: row for row in breakdown(before, after)}
    generator = rows["generator"]
    assert generator.requests == 120
    assert generator.avg_batch == pytest.approx(4.0)
    assert generator.queue_ms == pytest.approx(2.0)
    assert generator.compute_ms == pytest.approx(10.0)
    assert generator.request_ms == pytest.approx(12.5)
    assert set(rows) == {"generator", "preprocess"}
    assert breakdown(before, before) == []  # nothing happened: no rows, no division by zero


def test_committed_input_data_is_real_report_text() -> None:
    entries = json.loads(DEFAULT_INPUT_DATA.read_text(encoding="utf-8"))["data"]
    assert len(entries) >= 32
    names = {"report_text", "radiologist_id", "exam", "patient_sex", "patient_age"}
    for entry in entries:
        assert set(entry) == names
        text = entry["report_text"]["content"][0]
        assert entry["report_text"]["shape"] == [1]
        assert "FINDINGS:" in text and "\n" in text and len(text.split()) > 10  # prose
        assert text.split("IMPRESSION:")[1].strip() == ""  # the answer is not in the input
        assert entry["patient_age"]["content"][0].isdigit()


def test_write_input_data_is_deterministic(tmp_path: Path) -> None:
    first = write_input_data(tmp_path / "a.json", count=5).read_text(encoding="utf-8")
    second = write_input_data(tmp_path / "b.json", count=5).read_text(encoding="utf-8")
    assert first == second and len(json.loads(first)["data"]) == 5


def test_perf_analyzer_command_windows_or_count(tmp_path: Path) -> None:
    data, out = tmp_path / "d.json", tmp_path / "o.csv"
    windows = perf_analyzer_command("127.0.0.1:1", 8, data, out, StepPlan(interval_ms=3000))
    assert windows[windows.index("--measurement-interval") + 1] == "3000"
    assert windows[windows.index("--stability-percentage") + 1] == "50"
    assert windows[windows.index("--concurrency-range") + 1] == "8:8"
    assert "--request-count" not in windows
    counted = perf_analyzer_command("127.0.0.1:1", 8, data, out, StepPlan(), fixed_count=True)
    assert counted[counted.index("--request-count") + 1] == "240"
    assert "--measurement-interval" not in counted
    assert StepPlan().request_count(1) == 60


def test_parse_perf_csv(tmp_path: Path) -> None:
    path = tmp_path / "perf.csv"
    path.write_text(
        "Concurrency,Inferences/Second,Client Send,p50 latency,p95 latency,p99 latency,"
        "Avg latency\n"
        "4,137.4,3,27936,45211,58336,28978\n",
        encoding="utf-8",
    )
    row = parse_perf_csv(path)
    assert row["Inferences/Second"] == pytest.approx(137.4) and row["p95 latency"] == 45211
    path.write_text("Concurrency,Inferences/Second\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="no rows"):
        parse_perf_csv(path)


def _steps() -> list[StepResult]:
    def times(model: str, c: int) -> ModelTimes:
        return ModelTimes(model, 30 * c, min(c, 8), 0.5 * c, 10.0 + c, 10.5 + 1.5 * c)

    return [
        StepResult(c, 30.0 * c**0.5, 20.0 * c, 35.0 * c, 40.0 * c, 22.0 * c,
                   [times(m, c) for m in ("impression", "preprocess", "generator", "postprocess")])
        for c in (1, 2, 4)
    ]  # fmt: skip


def test_csvs_and_table(tmp_path: Path) -> None:
    sweep_csv, models_csv = write_csvs(_steps(), tmp_path)
    assert sweep_csv.read_text().splitlines()[2] == "2,42.4,40.0,70.0,80.0,44.0"
    assert len(models_csv.read_text().splitlines()) == 1 + 3 * 4
    table = markdown_table(_steps())
    assert "| 4 | 60.0 | 80.0 | 140.0 | 160.0 | 2.0 | 14.0 | 4.0 |" in table


def test_chart_is_a_png(tmp_path: Path) -> None:
    path = render_chart(_steps(), tmp_path / "chart.png", "test")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
