"""`impressions tune` without a server: search space, config rendering, Pareto front, objective,
quality gate, and the search loop on a fake measurement."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from clients.server import DEFAULT_REPOSITORY
from clients.tune import (
    Gate,
    LoadPlan,
    Search,
    as_params,
    code_fingerprint,
    gate_metrics_from_external,
    gate_metrics_from_synthetic,
    side_by_side,
)
from clients.tune_report import (
    compare_markdown,
    gate_markdown,
    render_pareto,
    trials_markdown,
    write_best,
)
from clients.tune_space import (
    MARGINS,
    Candidate,
    Objective,
    Space,
    Step,
    Trial,
    TuneError,
    gate_held,
    pareto_front,
    parse_fix,
    quality_gate,
    read_candidate,
    read_configs,
    render_configs,
    render_repository,
    set_dynamic_batching,
    set_parameter,
)


def test_defaults_are_the_committed_repository() -> None:
    assert read_candidate(DEFAULT_REPOSITORY) == Candidate()


def test_rendering_the_default_changes_no_config() -> None:
    configs = read_configs(DEFAULT_REPOSITORY)
    assert render_configs(configs, Candidate()) == configs


def test_rendered_candidate_reads_back() -> None:
    candidate = Candidate(
        preprocess_instances=2,
        generator_instances=3,
        postprocess_instances=2,
        generator_threads=1,
        queue_delay_us=2000,
        preferred_batch=(4, 8),
        precision="int8",
        num_beams=2,
        num_candidates=1,
        protocol="http",
    )
    rendered = render_configs(read_configs(DEFAULT_REPOSITORY), candidate)
    gen = rendered["generator"]
    assert 'key: "num_threads"     value: { string_value: "1" }' in gen
    assert "preferred_batch_size: [ 4, 8 ]" in gen
    assert "max_queue_delay_microseconds: 2000" in gen
    assert "count: 3, kind: KIND_AUTO" in gen
    assert "count: 2, kind: KIND_CPU" in rendered["preprocess"]
    # the other models' delays and the ensemble are untouched
    assert "max_queue_delay_microseconds: 0" in rendered["postprocess"]
    assert rendered["impression"] == read_configs(DEFAULT_REPOSITORY)["impression"]


def test_render_repository_reads_back_and_links_versions(tmp_path: Path) -> None:
    candidate = Candidate(generator_instances=2, precision="int8", response_cache=True)
    repo = render_repository(DEFAULT_REPOSITORY, tmp_path / "repo", candidate)
    assert read_candidate(repo) == Candidate(
        generator_instances=2, precision="int8", response_cache=True
    )
    assert (repo / "generator" / "1").is_symlink()
    assert (repo / "generator" / "1" / "model.py").exists()
    assert "response_cache { enable: true }" in (repo / "impression" / "config.pbtxt").read_text()


def test_edits_fail_loudly_when_the_config_changed_shape() -> None:
    with pytest.raises(TuneError, match="num_beams"):
        set_parameter(
            'parameters [ { key: "other" value: { string_value: "" } } ]', "num_beams", "1"
        )
    with pytest.raises(TuneError, match="max_queue_delay"):
        set_dynamic_batching("dynamic_batching { }", 100, ())
    twice = "max_queue_delay_microseconds: 0\nmax_queue_delay_microseconds: 0\n"
    with pytest.raises(TuneError, match="found 2"):
        set_dynamic_batching(twice, 100, ())


def test_preferred_sizes_are_replaced_not_stacked() -> None:
    text = "dynamic_batching {\n  max_queue_delay_microseconds: 0\n}\n"
    once = set_dynamic_batching(text, 500, (8, 4))
    assert once.count("preferred_batch_size") == 1 and "[ 4, 8 ]" in once
    again = set_dynamic_batching(once, 0, ())
    assert again == text


def test_candidate_validation_and_space() -> None:
    with pytest.raises(TuneError):
        Candidate(num_beams=2, num_candidates=4)
    with pytest.raises(TuneError):
        Candidate(precision="fp16")
    space = Space()
    capped = space.candidate({**Candidate().as_dict(), "num_beams": 1, "num_candidates": 4})
    assert capped.num_candidates == 1
    assert space.size() > 1000  # far too many for a grid on a 2-core machine
    fixed = parse_fix(["precision=fp32", "preferred-batch=4x8", "num_beams=4"], space)
    assert fixed.precision == ("fp32",) and fixed.preferred_batch == ((4, 8),)
    with pytest.raises(TuneError, match="NAME=VALUE"):
        parse_fix(["nonsense=1"], space)


def test_candidate_round_trips_json() -> None:
    candidate = Candidate(preferred_batch=(4,), generator_threads=1)
    again = Candidate.from_dict(json.loads(json.dumps(candidate.as_dict())))
    assert again == candidate
    assert candidate.changes_from(Candidate()) == {
        "generator_threads": (0, 1),
        "preferred_batch": ((), (4,)),
    }


def test_pareto_front() -> None:
    points = [(30.0, 300.0), (40.0, 200.0), (35.0, 250.0), (50.0, 400.0), (40.0, 200.0)]
    assert pareto_front(points) == [1, 4, 3]
    assert pareto_front([]) == []


def _steps(tput: float, p95: float, c: int = 8) -> dict[int, Step]:
    return {c: Step(c, tput, p95 / 2, p95, p95 * 1.1)}


def test_objectives() -> None:
    latency = Objective("p95", 8)
    assert latency.score(_steps(30, 250)) == 250
    assert latency.score(_steps(30, 250, c=4)) == math.inf
    budget = Objective("throughput", 8, p95_budget_ms=300)
    steps = {**_steps(20, 100, c=1), **_steps(35, 280, c=8), **_steps(40, 600, c=16)}
    assert budget.score(steps) == -35
    assert budget.score(_steps(40, 600)) == math.inf
    with pytest.raises(TuneError, match="budget"):
        Objective("throughput", 8)


def test_quality_gate_margins() -> None:
    default = {"synthetic rougeL": 0.868, "iu rougeL": 0.342, "iu false_normal": 5.0}
    close = {"synthetic rougeL": 0.860, "iu rougeL": 0.335, "iu false_normal": 5.0}
    assert gate_held(quality_gate(default, close))
    worse = {**close, "iu false_normal": 6.0}
    rows = quality_gate(default, worse)
    assert not gate_held(rows)
    assert [r.margin.name for r in rows if not r.held] == ["iu false_normal"]
    lost_rouge = {**close, "synthetic rougeL": 0.840}
    assert not gate_held(quality_gate(default, lost_rouge))
    assert not gate_held(quality_gate(default, {"synthetic rougeL": 0.9}))  # unmeasured metric
    assert {m.source for m in MARGINS} == {"synthetic", "iu", "handwritten"}


def test_gate_metrics_from_the_evaluations_json() -> None:
    external = {
        "sets": [
            {"name": "dev.jsonl", "kind": "iu", "systems": {"served": {"rougeL": 0.34, "ids": []}}},
            {"name": "dev-chest.jsonl", "kind": "cases", "systems": {"served": {"must_pct": 1}}},
            {"name": "pooled (a+b)", "kind": "cases", "systems": {"served": {"must_pct": 39.5}}},
        ]
    }
    assert gate_metrics_from_external(external) == {
        "iu rougeL": 0.34,
        "handwritten must_pct": 39.5,
    }
    synthetic = {"rows": [{"name": "model (ORT int8)", "rougeL": 0.86}]}
    assert gate_metrics_from_synthetic(synthetic, "int8") == {"synthetic rougeL": 0.86}
    with pytest.raises(TuneError):
        gate_metrics_from_synthetic(synthetic, "fp32")


def _fake_measure(candidate: Candidate, source: Path, plan: LoadPlan, work: Path):
    """Greedy and int8 are fast; more generator instances help until 2."""
    p95 = 400.0 / min(candidate.generator_instances, 2)
    p95 *= 0.5 if candidate.num_beams == 1 else 1.0
    p95 *= 0.8 if candidate.precision == "int8" else 1.0
    return {c: Step(c, 8000 / p95, p95 / 2, p95, p95) for c in plan.concurrencies}


def test_search_gates_would_be_winners_and_skips_duplicates(tmp_path: Path) -> None:
    evaluated = []

    def evaluate(variant, stage):
        evaluated.append((variant, stage))
        if stage == "external":
            return {"iu rougeL": 0.342}
        return {"synthetic rougeL": 0.80 if variant[1] == 1 else 0.868}  # greedy loses 0.068

    default = Candidate()
    gate = Gate(
        default,
        DEFAULT_REPOSITORY,
        tmp_path / "gate.json",
        tmp_path,
        evaluate=evaluate,
        fingerprint=lambda: "code-1",
    )
    space = Space().fixed(
        preprocess_instances=1,
        postprocess_instances=1,
        generator_threads=0,
        queue_delay_us=0,
        preferred_batch=(),
        num_candidates=1,
        protocol="grpc",
    )
    search = Search(
        space, Objective("p95", 8), LoadPlan((8,)), DEFAULT_REPOSITORY, gate, default, tmp_path
    )
    search.measure_fn = _fake_measure
    search.optimise(12, seed=1, seeds=[Candidate(num_beams=1, num_candidates=1)])
    keys = [t.candidate.key() for t in search.trials]
    assert len(keys) == len(set(keys))  # each configuration measured once
    assert search.trials[0].candidate == default
    assert search.best is not None and search.best.candidate.num_beams != 1
    assert all(t.gate == "rejected" for t in search.trials if t.candidate.num_beams == 1)
    assert len(evaluated) == len(set(evaluated))  # each text variant scored once
    # greedy lost on the synthetic split: its external stage never ran
    assert all(v[1] != 1 for v, stage in evaluated if stage == "external")
    cached = json.loads((tmp_path / "gate.json").read_text())
    assert "fp32 beams 4 candidates 4 / synthetic" in cached["variants"]
    table = gate_markdown(tmp_path / "gate.json")
    assert "| synthetic rougeL | 0.02 | 0.868 |" in table

    objective = Objective("p95", 8)
    table = trials_markdown(search.trials, objective)
    assert table.count("\n") == len(search.trials) + 1 and "★" in table
    png = render_pareto(search.trials, objective, tmp_path / "pareto.png")
    assert png.stat().st_size > 10_000
    rows = side_by_side(
        [("default", default), ("tuned", search.best.candidate)],
        DEFAULT_REPOSITORY,
        LoadPlan((8,)),
        tmp_path,
        rounds=2,
        measure_fn=_fake_measure,
    )
    assert [r[0] for r in rows] == ["default", "tuned", "default", "tuned"]
    text = compare_markdown(rows, "up 1 min, load average: 0.5", "up 2 min, load average: 0.6")
    assert "**tuned, median**" in text and "load average: 0.5" in text


def test_as_params_enqueues_the_candidate() -> None:
    params = as_params(Candidate(preferred_batch=(4, 8)), Space())
    assert params["preferred_batch"] == "4x8" and params["precision"] == "fp32"


def test_write_best_copies_or_applies(tmp_path: Path) -> None:
    best = Candidate(generator_instances=2, generator_threads=1)
    copy = write_best(
        best, Candidate(), DEFAULT_REPOSITORY, tmp_path / "copy", tmp_path / "out", apply=False
    )
    assert read_candidate(copy) == best
    assert not (copy / "generator" / "1").is_symlink()
    assert (copy / "generator" / "1" / "model.py").is_file()
    saved = json.loads((tmp_path / "out" / "tune_best.json").read_text())
    assert saved["changes_from_default"] == {
        "generator_instances": [1, 2],
        "generator_threads": [0, 1],
    }
    assert (tmp_path / "out" / "tune_best" / "generator" / "config.pbtxt").is_file()
    # in place: only the config files of the given repository change
    inplace = render_repository(DEFAULT_REPOSITORY, tmp_path / "inplace", Candidate())
    write_best(best, Candidate(), DEFAULT_REPOSITORY, inplace, tmp_path / "out2", apply=True)
    assert read_candidate(inplace) == best
    assert (inplace / "generator" / "1").is_symlink()


def test_trial_ok() -> None:
    assert not Trial(0, Candidate()).ok
    assert Trial(0, Candidate(), steps=_steps(1, 1)).ok


def test_gate_rescores_the_default_when_the_code_changed(tmp_path: Path) -> None:
    code = {"version": "a"}
    scored = []

    def evaluate(variant, stage):
        scored.append((variant, stage, code["version"]))
        return {"synthetic rougeL": 0.85} if stage == "synthetic" else {"iu rougeL": 0.3}

    def gate() -> Gate:
        return Gate(
            Candidate(),
            DEFAULT_REPOSITORY,
            tmp_path / "gate.json",
            tmp_path,
            evaluate=evaluate,
            fingerprint=lambda: code["version"],
        )

    int8 = ("int8", 4, 4)
    assert gate().verdict(Candidate(precision="int8")) == "held"
    assert gate().verdict(Candidate(precision="int8")) == "held"  # from the cache file
    assert len(scored) == 4  # two sides, two stages
    code["version"] = "b"  # another change to the pipeline: both sides scored again
    assert gate_held(gate().rows(int8))
    assert [(v, s) for v, s, c in scored[4:] if c == "b"] == [
        (("fp32", 4, 4), "synthetic"),
        (int8, "synthetic"),
        (("fp32", 4, 4), "external"),
        (int8, "external"),
    ]


def test_code_fingerprint_is_stable() -> None:
    assert code_fingerprint() == code_fingerprint()
