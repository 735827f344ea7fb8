"""`impressions tune`: search the serving configuration on the real server with real load.

Each candidate (clients/tune_space.py: instance counts, generator threads, dynamic batching,
precision, beams and candidates, response cache, gRPC or HTTP) is written into a temporary copy
of the model repository, served by tritonserver (clients/server.py), and loaded by perf_analyzer
with the committed reports (clients/load_data/reports.json) at the target concurrencies. Optuna's
TPE sampler proposes the next candidate from the ones measured, starting from the default.
A candidate that changes the text (precision, beams, candidates) must hold the quality gate
(synthetic split + external sets when ../shared/data exists) before it may win. Then the default
and the winner are measured side by side, interleaved, on the same server build, and the
winner's configs are written into a copy of the repository (in place with --apply).
Outputs: results/tune_*.{csv,md,json,png}; docs/tuning.md explains them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from clients.load import (
    DEFAULT_INPUT_DATA,
    LoadError,
    perf_analyzer_binary,
    perf_analyzer_row,
    run_perf,
)
from clients.server import (
    DEFAULT_REPOSITORY,
    PROJECT_ROOT,
    TritonServer,
    free_port,
    pytriton_root,
)
from clients.tune_space import (
    CACHE_FLAG,
    MARGINS,
    Candidate,
    GateRow,
    Objective,
    Space,
    Step,
    Trial,
    TuneError,
    gate_held,
    parse_fix,
    quality_gate,
    read_candidate,
    render_repository,
)

DEFAULT_OUT = PROJECT_ROOT / "results"
WORK_DIR = PROJECT_ROOT / "build" / "tune"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
STEP_TIMEOUT_S = 180
READY_TIMEOUT_S = 420


# ---------------------------------------------------------------------------------------------
# Load


@dataclass(frozen=True)
class LoadPlan:
    """How each concurrency is measured: a warm-up burst, then `windows` perf_analyzer windows
    of `interval_ms` each, averaged. The stability bar is off (perf_analyzer takes the first
    `windows` windows as they come): on a shared 2-core host it rarely settles, and a fixed
    measurement time per step keeps every trial comparable and its cost known."""

    concurrencies: tuple[int, ...] = (8,)
    interval_ms: int = 3000
    windows: int = 3
    input_data: Path = DEFAULT_INPUT_DATA

    def __post_init__(self) -> None:
        if self.windows < 3:  # perf_analyzer judges stability on the last three windows
            raise TuneError("at least 3 measurement windows per step")
        if not self.concurrencies or min(self.concurrencies) < 1:
            raise TuneError("concurrencies must be >= 1")


def _load_command(url: str, protocol: str, concurrency: int, plan: LoadPlan) -> list[str]:
    """perf_analyzer on the ensemble with the committed load data, at one concurrency."""
    return [
        str(perf_analyzer_binary()),
        "-m",
        "impression",
        "-i",
        protocol,
        "-u",
        url,
        "--input-data",
        str(plan.input_data),
        "--concurrency-range",
        f"{concurrency}:{concurrency}",
    ]


def perf_command(
    url: str, protocol: str, concurrency: int, csv_path: Path, plan: LoadPlan
) -> list[str]:
    return _load_command(url, protocol, concurrency, plan) + [
        "--measurement-interval",
        str(plan.interval_ms),
        "--stability-percentage",
        "999",
        "--max-trials",
        str(plan.windows),
        "-f",
        str(csv_path),
    ]


def warm_command(url: str, protocol: str, concurrency: int, plan: LoadPlan) -> list[str]:
    return _load_command(url, protocol, concurrency, plan) + [
        "--request-count",
        str(max(16, 4 * concurrency)),
    ]


def measure_steps(url: str, protocol: str, plan: LoadPlan, raw_dir: Path) -> dict[int, Step]:
    raw_dir.mkdir(parents=True, exist_ok=True)
    steps: dict[int, Step] = {}
    for concurrency in plan.concurrencies:
        run_perf(warm_command(url, protocol, concurrency, plan), concurrency, STEP_TIMEOUT_S)
        csv_path = raw_dir / f"perf_c{concurrency}.csv"
        command = perf_command(url, protocol, concurrency, csv_path, plan)
        row = perf_analyzer_row(command, concurrency, csv_path, STEP_TIMEOUT_S)
        steps[concurrency] = Step(
            concurrency=concurrency,
            throughput=row["Inferences/Second"],
            p50_ms=row["p50 latency"] / 1000,
            p95_ms=row["p95 latency"] / 1000,
            p99_ms=row["p99 latency"] / 1000,
        )
    return steps


def measure(candidate: Candidate, source: Path, plan: LoadPlan, work: Path) -> dict[int, Step]:
    """Serve ``candidate`` from a rendered copy of ``source`` and load it; the server is
    stopped before returning."""
    repository = render_repository(source, work / "repository", candidate)
    server = TritonServer(
        repository,
        http_port=free_port(),
        grpc_port=free_port(),
        metrics_port=free_port(),
        log_file=work / "server.log",
        extra_args=cache_args() if candidate.response_cache else [],
    )
    server.start()
    try:
        server.wait_ready(("impression",), timeout=READY_TIMEOUT_S)
        url = server.grpc_url if candidate.protocol == "grpc" else server.http_url
        return measure_steps(url, candidate.protocol, plan, work / "perf")
    finally:
        server.stop()


def cache_args() -> list[str]:
    """Server flags of the response cache: its size, and (pytriton's server) where the local
    cache library lies (the binary looks in /opt/tritonserver/caches otherwise)."""
    args = [CACHE_FLAG]
    if not os.environ.get("TRITONSERVER"):
        args.append(f"--cache-directory={pytriton_root() / 'caches'}")
    return args


def load_average() -> float:
    return os.getloadavg()[0]


# ---------------------------------------------------------------------------------------------
# Quality gate: the project's own evaluations, aggregate numbers only


def gate_metrics_from_external(payload: dict[str, Any]) -> dict[str, float]:
    """`impressions eval --dataset ... --json-out` -> {"iu rougeL": ..., "handwritten ...": ...}."""
    out: dict[str, float] = {}
    for entry in payload.get("sets", []):
        served = entry.get("systems", {}).get("served", {})
        if entry.get("kind") == "iu":
            source = "iu"
        elif entry.get("kind") == "cases" and str(entry.get("name", "")).startswith("pooled"):
            source = "handwritten"
        else:
            continue
        for key, value in served.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[f"{source} {key}"] = float(value)
    return out


def gate_metrics_from_synthetic(payload: dict[str, Any], precision: str) -> dict[str, float]:
    """`impressions eval --json-out` -> {"synthetic rougeL": ...} of the served ORT row."""
    wanted = f"model (ORT {precision})"
    for row in payload.get("rows", []):
        if row.get("name") == wanted:
            return {"synthetic rougeL": float(row["rougeL"])}
    raise TuneError(f"synthetic evaluation has no row {wanted!r}")


def external_datasets(data: Path = SHARED_DATA) -> list[Path]:
    """The external sets the gate scores (report-check cases are left out: the generator's
    settings cannot change them). Empty when the data folder is absent."""
    paths = [data / "iu-xray" / "dev.jsonl"]
    paths += [data / "handwritten" / f"dev-{s}.jsonl" for s in ("chest", "neuro", "abdomen")]
    paths += [data / "handwritten" / "dev-mskvasc.jsonl"]
    return [p for p in paths if p.is_file()]


GATE_STAGES = ("synthetic", "external")  # cheap first: a variant that loses there stops there


CODE_PACKAGES = ("python_models", "export", "clients")


def snapshot_code(dest: Path, root: Path = PROJECT_ROOT) -> Path:
    """A frozen copy of the packages the evaluation runs (export/ holds the checkpoint), so
    every gate score of one search comes from the same code while other work edits the tree."""
    import shutil

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for package in CODE_PACKAGES:
        shutil.copytree(
            root / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return dest


def evaluate_variant(
    variant: tuple[str, int, int],
    stage: str,
    source: Path,
    work: Path,
    synthetic_n: int = 400,
    code_root: Path = PROJECT_ROOT,
) -> dict[str, float]:
    """Score one text variant (precision, beams, candidates) with `impressions eval` run from
    ``code_root``: the synthetic split, or the external sets (empty without ../shared/data)."""
    precision, beams, candidates = variant
    work, code_root, source = work.resolve(), code_root.resolve(), source.resolve()
    cli = [sys.executable, "-m", "clients.cli", "eval"]
    name = f"{precision}-b{beams}c{candidates}"
    work.mkdir(parents=True, exist_ok=True)
    if stage == "synthetic":
        synthetic_json = work / f"gate-synthetic-{name}.json"
        _eval(
            cli
            + ["--n", str(synthetic_n), "--engines", f"onnx-{precision}", "--no-export"]
            + ["--num-beams", str(beams), "--num-candidates", str(candidates)]
            + ["--repository", str(source), "--json-out", str(synthetic_json)],
            code_root,
        )
        return gate_metrics_from_synthetic(json.loads(synthetic_json.read_text()), precision)
    datasets = external_datasets()
    if not datasets:
        return {}
    repository = render_repository(
        source,
        work / f"gate-repository-{name}",
        Candidate(precision=precision, num_beams=beams, num_candidates=candidates),
    )
    external_json = work / f"gate-external-{name}.json"
    args = [a for p in datasets for a in ("--dataset", str(p))]
    _eval(
        cli + args + ["--repository", str(repository), "--json-out", str(external_json)], code_root
    )
    return gate_metrics_from_external(json.loads(external_json.read_text()))


def _eval(command: list[str], code_root: Path = PROJECT_ROOT) -> None:
    print(f"gate: {' '.join(command[3:])}", file=sys.stderr)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code_root), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=code_root, env=env, check=False
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-5:])
        raise TuneError(f"evaluation failed ({done.returncode}):\n{tail}")


def code_fingerprint(root: Path = PROJECT_ROOT, source: Path = DEFAULT_REPOSITORY) -> str:
    """A hash of what decides the served text: every file of python_models/ and export/ (the
    checkpoint too), the models' adapters, and the exported engines (size and mtime). Scores
    taken under another fingerprint are stale: other work changed the pipeline in between."""
    digest = hashlib.sha256()
    files = [p for pkg in ("python_models", "export") for p in sorted((root / pkg).rglob("*"))]
    files = [p for p in files if p.is_file()]
    files += sorted(Path(source).glob("*/1/model.py"))
    for path in files:
        if "__pycache__" not in path.parts:
            digest.update(
                str(path.relative_to(root) if path.is_relative_to(root) else path).encode()
            )
            digest.update(path.read_bytes())
    for path in sorted(Path(source).glob("generator/1/*.onnx")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


class Gate:
    """Scores text variants once per code fingerprint (cached in results/tune_gate.json:
    aggregate numbers only); the default is re-scored whenever the code changed, so the two
    sides of a comparison always come from the same pipeline."""

    def __init__(
        self,
        default: Candidate,
        source: Path,
        cache_path: Path,
        work: Path,
        *,
        enabled: bool = True,
        evaluate: Callable[[tuple[str, int, int], str], dict[str, float]] | None = None,
        fingerprint: Callable[[], str] | None = None,
        code_root: Path = PROJECT_ROOT,
    ) -> None:
        self.default = default.text_variant
        self.cache_path = cache_path
        self.enabled = enabled
        self._evaluate = evaluate or (
            lambda v, stage: evaluate_variant(v, stage, source, work, code_root=code_root)
        )
        self._fingerprint = fingerprint or (lambda: code_fingerprint(code_root, source))
        self.scores: dict[str, dict[str, Any]] = {}
        if cache_path.exists():
            saved = json.loads(cache_path.read_text()).get("variants", {})
            self.scores = {k: v for k, v in saved.items() if "fingerprint" in v}

    @staticmethod
    def name(variant: tuple[str, int, int]) -> str:
        return f"{variant[0]} beams {variant[1]} candidates {variant[2]}"

    def _score(self, variant: tuple[str, int, int], stage: str, fingerprint: str) -> dict:
        key = f"{self.name(variant)} / {stage}"
        entry = self.scores.get(key)
        if entry is None or entry["fingerprint"] != fingerprint:
            entry = {
                "fingerprint": fingerprint,
                "scored_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "metrics": self._evaluate(variant, stage),
            }
            self.scores[key] = entry
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            self.cache_path.write_text(
                json.dumps(
                    {
                        "margins": [m.__dict__ for m in MARGINS],
                        "external_sets": [p.name for p in external_datasets()],
                        "variants": self.scores,
                    },
                    indent=2,
                )
                + "\n"
            )
        return entry["metrics"]

    def rows(self, variant: tuple[str, int, int]) -> list[GateRow]:
        """Default vs ``variant``, stage by stage, each stage's two sides scored under one
        fingerprint (scored again if the code moved meanwhile; after three tries compared as
        they are). A stage that loses ends the gate: later stages are not run."""
        rows: list[GateRow] = []
        for stage in GATE_STAGES:
            for _ in range(3):
                fingerprint = self._fingerprint()
                default = self._score(self.default, stage, fingerprint)
                candidate = self._score(variant, stage, fingerprint)
                if self._fingerprint() == fingerprint:
                    break
                print("gate: the code changed while scoring; scoring again", file=sys.stderr)
            stage_rows = quality_gate(default, candidate)
            rows += stage_rows
            if stage_rows and not gate_held(stage_rows):
                break
        return rows

    def verdict(self, candidate: Candidate) -> str:
        """n/a (same text as the default), held, rejected, or off (--no-gate)."""
        if candidate.text_variant == self.default:
            return "n/a"
        if not self.enabled:
            return "off"
        return "held" if gate_held(self.rows(candidate.text_variant)) else "rejected"


# ---------------------------------------------------------------------------------------------
# Search


def suggest(trial: Any, space: Space) -> Candidate:
    """One Optuna suggestion per dimension (categorical; tuples as their labels)."""
    choice: dict[str, Any] = {}
    for name, options in space.dimensions().items():
        if name == "preferred_batch":
            labels = {"x".join(map(str, o)) or "-": o for o in options}
            choice[name] = labels[trial.suggest_categorical(name, list(labels))]
        else:
            choice[name] = trial.suggest_categorical(name, list(options))
    return space.candidate(choice)


def as_params(candidate: Candidate, space: Space) -> dict[str, Any]:
    """The Optuna params that propose ``candidate`` (to enqueue it)."""
    params = candidate.as_dict()
    params["preferred_batch"] = "x".join(map(str, candidate.preferred_batch)) or "-"
    return {k: v for k, v in params.items() if k in space.dimensions()}


@dataclass
class Search:
    space: Space
    objective: Objective
    plan: LoadPlan
    source: Path
    gate: Gate
    default: Candidate
    work: Path
    measure_fn: Callable[[Candidate, Path, LoadPlan, Path], dict[int, Step]] = measure

    def __post_init__(self) -> None:
        self.trials: list[Trial] = []
        self._by_key: dict[str, Trial] = {}
        self.best: Trial | None = None

    def run_candidate(self, candidate: Candidate) -> Trial:
        known = self._by_key.get(candidate.key())
        if known is not None:
            return known
        trial = Trial(number=len(self.trials), candidate=candidate)
        started = time.monotonic()
        try:
            trial.steps = self.measure_fn(
                candidate, self.source, self.plan, self.work / f"trial{trial.number}"
            )
            trial.objective = self.objective.score(trial.steps)
        except (LoadError, TuneError, RuntimeError) as exc:
            trial.error = str(exc).splitlines()[0][:200]
        trial.load_avg = load_average()
        trial.gate = "n/a" if candidate.text_variant == self.gate.default else "not run"
        self.trials.append(trial)
        self._by_key[candidate.key()] = trial
        if trial.ok and (self.best is None or trial.objective < self.best.objective):
            # only a would-be winner pays for the quality gate
            trial.gate = self._verdict(candidate)
            if trial.gate in ("n/a", "held", "off"):
                self.best = trial
        self._print(trial, time.monotonic() - started)
        return trial

    def _verdict(self, candidate: Candidate) -> str:
        try:
            verdict = self.gate.verdict(candidate)
        except TuneError as exc:
            print(f"gate could not run: {exc}", file=sys.stderr)
            return "failed"  # never a winner; e.g. the engines were re-exported mid-search
        for other in self.trials:  # every trial of that text shares the verdict
            if other.candidate.text_variant == candidate.text_variant:
                other.gate = verdict
        return verdict

    def _print(self, trial: Trial, seconds: float) -> None:
        at = trial.steps.get(self.objective.concurrency)
        shown = (
            f"{at.throughput:6.1f}/s p50 {at.p50_ms:6.1f} p95 {at.p95_ms:6.1f} ms"
            if at
            else (trial.error or "no step at the target concurrency")
        )
        print(
            f"trial {trial.number:>2} [{seconds:4.0f}s load {trial.load_avg:4.1f}] "
            f"{trial.candidate.label():<52} {shown} gate {trial.gate}",
            file=sys.stderr,
        )

    def optimise(
        self,
        n_trials: int,
        seed: int,
        seeds: Sequence[Candidate] = (),
        time_budget_s: float | None = None,
    ) -> None:
        """Measure the default, then let TPE propose until ``n_trials`` distinct configurations
        were measured (a proposal already measured costs nothing and counts as a retry)."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=6)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        self.run_candidate(self.default)
        for candidate in seeds:
            if self.space.contains(candidate):
                study.enqueue_trial(as_params(candidate, self.space), skip_if_exists=True)

        def objective(optuna_trial: Any) -> float:
            trial = self.run_candidate(suggest(optuna_trial, self.space))
            if not trial.ok or trial.gate in ("rejected", "failed"):
                return 1e9
            return trial.objective if math.isfinite(trial.objective) else 1e9

        deadline = time.monotonic() + time_budget_s if time_budget_s else math.inf
        attempts = 0
        while len(self.trials) < n_trials and attempts < 5 * n_trials:
            if time.monotonic() > deadline:
                print(f"tune: time budget spent after {len(self.trials)} trials", file=sys.stderr)
                break
            study.optimize(objective, n_trials=1)
            attempts += 1


# ---------------------------------------------------------------------------------------------
# Side by side


def side_by_side(
    pairs: Sequence[tuple[str, Candidate]],
    source: Path,
    plan: LoadPlan,
    work: Path,
    rounds: int,
    measure_fn: Callable[[Candidate, Path, LoadPlan, Path], dict[int, Step]] = measure,
) -> list[tuple[str, int, dict[int, Step], float]]:
    """Each named candidate measured `rounds` times, interleaved (A B A B ...): one run."""
    rows = []
    for round_ in range(rounds):
        for name, candidate in pairs:
            steps = measure_fn(candidate, source, plan, work / f"compare-{name}-{round_}")
            rows.append((name, round_, steps, load_average()))
            at = ", ".join(
                f"c{c}: {s.throughput:.1f}/s p95 {s.p95_ms:.1f} ms" for c, s in steps.items()
            )
            print(f"side by side, round {round_}, {name}: {at}", file=sys.stderr)
    return rows


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ---------------------------------------------------------------------------------------------
# Command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impressions tune", description=__doc__.split("\n")[0])
    parser.add_argument("--objective", choices=("p95", "throughput"), default="p95")
    parser.add_argument(
        "--at", type=int, default=8, help="concurrency of the p95 objective (default 8)"
    )
    parser.add_argument("--p95-budget", type=float, help="ms; the throughput objective's bound")
    parser.add_argument(
        "--concurrency",
        default=None,
        help="comma list measured per trial (default: --at; the throughput objective: 1,4,8,16)",
    )
    parser.add_argument("--trials", type=int, default=24, help="configurations measured (24)")
    parser.add_argument(
        "--time-budget-min", type=float, help="stop proposing after this many minutes"
    )
    parser.add_argument("--interval-ms", type=int, default=3000, help="perf_analyzer window")
    parser.add_argument("--windows", type=int, default=3, help="windows per step, >= 3 (averaged)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fix a dimension, e.g. --fix precision=fp32 --fix protocol=grpc",
    )
    parser.add_argument(
        "--keep-text",
        action="store_true",
        help="search only what leaves the text unchanged (precision, beams, candidates fixed)",
    )
    parser.add_argument(
        "--allow-cache",
        action="store_true",
        help="let the response cache be tried (the load repeats 64 reports: cache hits flatter "
        "it far beyond real traffic)",
    )
    parser.add_argument("--no-gate", action="store_true", help="skip the quality gate (unsafe)")
    parser.add_argument("--compare-rounds", type=int, default=2, help="side-by-side rounds (2)")
    parser.add_argument("--no-compare", action="store_true", help="skip the side-by-side run")
    parser.add_argument(
        "--candidate",
        type=Path,
        action="append",
        help="JSON of a candidate (results/tune_best.json): only the side-by-side run; repeat to "
        "add more configurations to the same interleaved run (named by file name)",
    )
    parser.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument(
        "--out-repository",
        type=Path,
        default=WORK_DIR / "best_repository",
        help="where the winner's repository copy is written",
    )
    parser.add_argument(
        "--apply", action="store_true", help="write the winner's configs into --repository"
    )
    parser.add_argument("--input-data", type=Path, default=DEFAULT_INPUT_DATA)
    return parser


def _space(args: argparse.Namespace, default: Candidate) -> Space:
    space = Space()
    if args.allow_cache:
        space = replace_dims(space, response_cache=(False, True))
    if args.keep_text:
        space = space.fixed(
            precision=default.precision,
            num_beams=default.num_beams,
            num_candidates=default.num_candidates,
        )
    return parse_fix(args.fix, space)


def replace_dims(space: Space, **dims: tuple[Any, ...]) -> Space:
    from dataclasses import replace

    return replace(space, **dims)


def _seeds(space: Space, default: Candidate) -> list[Candidate]:
    """Hand-picked starting points beside the default, when the space holds them."""
    from dataclasses import replace

    changes = (
        {"precision": "int8"},
        {"generator_threads": 1, "generator_instances": 2},
        {"num_beams": 1, "num_candidates": 1, "precision": "int8"},
    )
    candidates = [replace(default, **change) for change in changes]
    return [c for c in candidates if space.contains(c)]


def main(argv: list[str]) -> int:
    from clients import tune_report

    args = build_parser().parse_args(argv)
    try:
        objective = Objective(args.objective, args.at, args.p95_budget)
        if args.concurrency:
            concurrencies = tuple(int(c) for c in args.concurrency.split(",") if c.strip())
        elif args.objective == "throughput":
            concurrencies = (1, 4, 8, 16)
        else:
            concurrencies = (args.at,)
        if args.objective == "p95" and args.at not in concurrencies:
            concurrencies = (args.at, *concurrencies)
        plan = LoadPlan(concurrencies, args.interval_ms, args.windows, args.input_data)
        source = args.repository.resolve()
        default = read_candidate(source)
        space = _space(args, default)
    except (TuneError, ValueError) as exc:
        print(f"impressions tune: {exc}", file=sys.stderr)
        return 2
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tune-", dir=WORK_DIR))
    started = datetime.now(timezone.utc)
    gate = Gate(
        default,
        source,
        args.out / "tune_gate.json",
        work,
        enabled=not args.no_gate,
        code_root=PROJECT_ROOT if args.no_gate or args.candidate else snapshot_code(work / "code"),
    )
    search = Search(space, objective, plan, source, gate, default, work)
    extra: list[tuple[str, Candidate]] = []
    if args.candidate:
        loaded = [
            (path.stem, Candidate.from_dict(json.loads(path.read_text())["candidate"]))
            for path in args.candidate
        ]
        best, extra = loaded[0][1], loaded[1:]
    else:
        print(
            f"tune: {objective.describe()}; {space.size()} configurations in the space, "
            f"{args.trials} measured; concurrency {','.join(map(str, concurrencies))}",
            file=sys.stderr,
        )
        budget = args.time_budget_min * 60 if args.time_budget_min else None
        search.optimise(args.trials, args.seed, _seeds(space, default), budget)
        if search.best is None:
            print("impressions tune: no configuration could be measured", file=sys.stderr)
            return 1
        best = search.best.candidate
        tune_report.write_trials(search.trials, objective, args.out)
        tune_report.render_pareto(search.trials, objective, args.out / "tune_pareto.png")
    # --candidate: only the side by side (the search that chose it held its gate)
    held = not args.candidate and search.best is not None and search.best.gate == "held"
    gate_rows = gate.rows(best.text_variant) if held else []
    compare = []
    if not args.no_compare:
        uptime_before = _uptime()
        compare = side_by_side(
            [("default", default), ("tuned", best), *extra],
            source,
            plan,
            work,
            args.compare_rounds,
        )
        tune_report.write_compare(compare, objective, args.out, uptime_before, _uptime())
    target = args.repository if args.apply else args.out_repository
    written = tune_report.write_best(best, default, source, target, args.out, apply=args.apply)
    print(
        tune_report.summary(
            search.trials, best, default, objective, compare, gate_rows, started, written
        )
    )
    return 0


def _uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip()
