"""`impressions tune` on a real tritonserver: a search of two configurations with a few seconds of
perf_analyzer load each, the chart and tables written, the winner's repository copy loadable.
The text is kept (no quality gate to run), so the test costs two server starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clients.perf_analyzer_cmd import missing_system_libraries
from clients.server import DEFAULT_REPOSITORY, missing_artifacts
from clients.tune import main
from clients.tune_space import Candidate, read_candidate

pytestmark = pytest.mark.integration


def test_tiny_search_writes_its_results(tmp_path: Path) -> None:
    if missing_artifacts(DEFAULT_REPOSITORY):
        pytest.skip("model artifacts missing: run `make artifacts`")
    missing = missing_system_libraries()
    if missing:
        pytest.skip(f"perf_analyzer needs {missing}: run `make system-deps`")
    out, copy = tmp_path / "results", tmp_path / "best"
    code = main(
        [
            "--trials",
            "2",
            "--at",
            "2",
            "--interval-ms",
            "700",
            "--keep-text",
            "--fix",
            "protocol=grpc",
            "--no-compare",
            "--out",
            str(out),
            "--out-repository",
            str(copy),
        ]
    )
    assert code == 0
    rows = (out / "tune_trials.csv").read_text().splitlines()
    assert len(rows) == 3  # header + two configurations
    assert rows[1].startswith("0,")  # the default is measured first
    first = rows[1].split(",")
    head = rows[0].split(",")
    assert float(first[head.index("c2_reports_per_s")]) > 0
    assert float(first[head.index("c2_p95_ms")]) >= float(first[head.index("c2_p50_ms")]) > 0
    assert (out / "tune_pareto.png").stat().st_size > 10_000
    best = Candidate.from_dict(json.loads((out / "tune_best.json").read_text())["candidate"])
    assert best.text_variant == Candidate().text_variant
    assert read_candidate(copy) == best
    assert (copy / "generator" / "1" / "model.py").is_file()
