"""`impressions bench`: one table, one run, one checkpoint, the same inputs for every engine.

Rows: Hugging Face eager `generate` (torch), the in-process ONNX Runtime engine (fp32, int8),
and the full `impression` ensemble over gRPC on a real tritonserver. Columns: median and p95
latency at batch 1, throughput at concurrency 8, speed-up vs HF eager. In-process engines get
"concurrency 8" as one batch of 8 (what the server's dynamic batcher makes of 8 concurrent
requests); the ensemble gets 8 client threads sending one report each.

Fixed-length rows force exactly N new tokens (min = max), so models that stop early cannot
look fast. The server cannot be told a minimum, so the ensemble is compared with the
in-process engine run the same way (same ids from the same preprocessing, the bundle's
max_new_tokens, stop at eos, the beams and candidates of the generator config): that pair gives
"ensemble overhead". A greedy row beside it shows what the served beam search costs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clients.stats import LatencySummary
from python_models.engines.batching import pad_rows

if TYPE_CHECKING:
    from python_models.engines.base import Engine, GenerationSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPOSITORY = PROJECT_ROOT / "model_repository"

# Synthetic reports written for this project (no patient data).
REPORTS = [
    "EXAM: CT chest\nFINDINGS: There is a 7 mm solid nodule in the right upper lobe. "
    "No pneumothorax. No pleural effusion. The heart is normal in size.",
    "EXAM: XR chest\nFINDINGS: Small left pleural effusion with adjacent atelectasis. "
    "No focal consolidation. No pneumothorax.",
    "EXAM: CT abdomen\nFINDINGS: 2.1 cm simple cyst in the left kidney. The liver, spleen "
    "and pancreas are unremarkable. No free air. No hydronephrosis.",
    "EXAM: MR brain\nFINDINGS: No acute infarct. No mass effect or midline shift. "
    "Mild chronic small vessel ischemic change.",
    "EXAM: CT chest\nFINDINGS: Bilateral lower lobe consolidation, greater on the right. "
    "Trace bilateral pleural effusions. Stable 4 mm nodule in the left lower lobe.",
    "EXAM: US abdomen\nFINDINGS: Gallbladder with multiple mobile stones, no wall thickening. "
    "Common bile duct measures 4 mm.",
    "EXAM: XR wrist\nFINDINGS: Nondisplaced fracture of the distal radius. Soft tissue "
    "swelling. No dislocation.",
    "EXAM: CT head\nFINDINGS: No intracranial hemorrhage. No fracture. Paranasal sinuses clear.",
]


@dataclass
class Row:
    name: str
    tokens: str
    median_ms: float
    p95_ms: float
    throughput: float  # requests (reports) per second at concurrency 8

    @classmethod
    def measured(cls, name: str, tokens: str, latencies_ms: list[float], throughput: float) -> Row:
        """A row from batch-1 latencies (clients.stats, as every client tool summarises them)."""
        latency = LatencySummary.of(latencies_ms)
        return cls(name, tokens, latency.p50_ms, latency.p95_ms, throughput)


def time_calls(fn: Callable[[], object], iterations: int, warmup: int) -> list[float]:
    """Wall-clock milliseconds of `iterations` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def prepared_ids(tokenizer_dir: Path) -> list[list[int]]:
    """The ids the ensemble's preprocess makes of REPORTS (same code, in-process)."""
    from python_models.preprocess import PreparedReport, Preprocessor, RawReport
    from python_models.tokenizer_loader import load_tokenizer

    prepared = Preprocessor(load_tokenizer(tokenizer_dir)).prepare([RawReport(r) for r in REPORTS])
    bad = [i for i, p in enumerate(prepared) if not isinstance(p, PreparedReport)]
    if bad:
        raise SystemExit(f"bench: preprocess rejected synthetic reports {bad}")
    return [p.input_ids for p in prepared]


def bench_engine(
    engine: Engine,
    rows: list[list[int]],
    pad_id: int,
    new_tokens: int,
    fixed: bool,
    iterations: int,
    warmup: int,
) -> tuple[list[float], float]:
    """(batch-1 latencies over the reports in turn, batch-8 throughput)."""
    minimum = new_tokens if fixed else 0
    singles = [pad_rows([r], pad_id) for r in rows]
    counter = iter(range(10**9))

    def one() -> None:
        ids, mask = singles[next(counter) % len(singles)]
        engine.generate(ids, mask, new_tokens, min_new_tokens=minimum)

    latencies = time_calls(one, iterations, warmup)
    batch_ids, batch_mask = pad_rows(rows[:8], pad_id)
    batch_times = time_calls(
        lambda: engine.generate(batch_ids, batch_mask, new_tokens, min_new_tokens=minimum),
        max(2, iterations // 3),
        1,
    )
    return latencies, len(batch_ids) / (statistics.median(batch_times) / 1000)


def bench_ensemble(
    grpc_url: str, iterations: int, warmup: int, concurrency: int = 8
) -> tuple[list[float], float]:
    """Batch-1 latency over gRPC, then `concurrency` threads for throughput."""
    import tritonclient.grpc as grpcclient

    def make_call() -> Callable[[], None]:
        client = grpcclient.InferenceServerClient(grpc_url)
        counter = iter(range(10**9))

        def call() -> None:
            text = REPORTS[next(counter) % len(REPORTS)].encode("utf-8")
            tensor = grpcclient.InferInput("report_text", [1, 1], "BYTES")
            tensor.set_data_from_numpy(np.array([[text]], dtype=np.object_))
            client.infer(
                "impression", [tensor], outputs=[grpcclient.InferRequestedOutput("impression")]
            )

        return call

    latencies = time_calls(make_call(), iterations, warmup)
    calls = [make_call() for _ in range(concurrency)]
    per_thread = max(2, iterations // 2)
    errors: list[BaseException] = []

    def worker(call: Callable[[], None]) -> None:
        try:
            for _ in range(per_thread):
                call()
        except BaseException as exc:  # surfaced after join
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"bench: ensemble call failed: {type(errors[0]).__name__}")
    return latencies, concurrency * per_thread / elapsed


def environment(bundle: Path, argv: list[str]) -> list[str]:
    """Header lines that make a pasted table reproducible: command, checkpoint, versions."""
    import json

    import onnxruntime
    import torch
    import transformers

    manifest_path = bundle / "export_manifest.json"
    source = "?"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        source = f"{manifest['source']['path']} ({manifest['source']['sha256'][:12]})"
    return [
        " ".join(["command: impressions bench", *argv]),
        f"checkpoint: {source}",
        f"cpu cores: {os.cpu_count()}  machine: {platform.machine()}  python "
        f"{platform.python_version()}",
        f"torch {torch.__version__} (threads {torch.get_num_threads()})  transformers "
        f"{transformers.__version__}  onnxruntime {onnxruntime.__version__}",
    ]


def render(rows: list[Row], overhead: float | None, header: list[str]) -> str:
    """The table; ratios are against the first row (HF eager) at batch 1."""
    base = rows[0].median_ms
    lines = header + [""]
    lines.append(
        f"{'engine':<38} {'tokens':<10} {'b1 median':>10} {'b1 p95':>9} {'c8 rep/s':>9} "
        f"{'vs HF b1':>9}"
    )
    lines.append("-" * len(lines[-1]))
    for r in rows:
        lines.append(
            f"{r.name:<38} {r.tokens:<10} {r.median_ms:>8.1f}ms {r.p95_ms:>7.1f}ms "
            f"{r.throughput:>9.1f} {base / r.median_ms:>8.2f}x"
        )
    if overhead is not None:
        lines.append("")
        lines.append(f"ensemble overhead vs in-process engine at batch 1 (median): {overhead:+.1%}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impressions bench", description=__doc__.split("\n")[0])
    parser.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    parser.add_argument("--new-tokens", type=int, default=32, help="fixed generated tokens")
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, help="engine threads (default: runtime's)")
    parser.add_argument("--no-server", action="store_true", help="skip the ensemble rows")
    parser.add_argument("--grpc-url", help="use a running server instead of starting one")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from python_models.engines import load_engine

    bundle = args.repository / "generator" / "1"
    engines = [("HF eager generate (torch)", "torch", "fp32")]
    engines += [(f"ONNX Runtime in-process {p}", "onnxruntime", p) for p in ("fp32", "int8")]
    rows: list[Row] = []
    reference_ms: float | None = None
    settings: GenerationSettings | None = None
    for label, name, precision in engines:
        if (
            name == "onnxruntime"
            and not (bundle / f"model{'' if precision == 'fp32' else '.int8'}.onnx").exists()
        ):
            print(f"skipping {label}: not exported", file=sys.stderr)
            continue
        engine = load_engine(name, bundle, precision=precision, num_threads=args.threads)
        settings = engine.settings
        ids = prepared_ids(bundle / "tokenizer")
        lat, thr = bench_engine(
            engine, ids, settings.pad_token_id, args.new_tokens, True, args.iterations, args.warmup
        )
        rows.append(Row.measured(label, f"{args.new_tokens} fixed", lat, thr))
        if name == "onnxruntime" and precision == "fp32" and not args.no_server:
            eos_rows, reference_ms = bench_stop_at_eos(engine, bundle, ids, args)
            rows += eos_rows
        del engine
    overhead: float | None = None
    if not args.no_server:
        lat, thr = run_ensemble(args)
        tokens = f"<={settings.max_new_tokens}" if settings else "as served"
        ensemble = Row.measured("impression ensemble, gRPC (fp32)", tokens, lat, thr)
        rows.append(ensemble)
        if reference_ms:
            overhead = ensemble.median_ms / reference_ms - 1
    print(render(rows, overhead, environment(bundle, argv)))
    return 0


def bench_stop_at_eos(
    greedy: Engine, bundle: Path, ids: list[list[int]], args: argparse.Namespace
) -> tuple[list[Row], float]:
    """The fp32 engine stopping at eos: greedy, and as the generator config serves (engine,
    precision, beams, candidates): the in-process reference for the ensemble. Returns the rows
    and the as-served median."""
    from export.evaluate import config_parameters, served_decoding
    from python_models.engines import load_engine

    settings = greedy.settings
    config = args.repository / "generator" / "config.pbtxt"
    decoding = served_decoding(config)
    served_as = config_parameters(config, {"engine": "onnxruntime", "precision": "fp32"})
    limit = f"<={settings.max_new_tokens}"
    runs = [("  same, greedy (stop at eos)", greedy)]
    if decoding.num_beams > 1 or served_as != {"engine": "onnxruntime", "precision": "fp32"}:
        served = load_engine(
            served_as["engine"],
            bundle,
            precision=served_as["precision"],
            num_threads=args.threads,
            num_beams=decoding.num_beams,
            num_candidates=decoding.num_candidates,
        )
        engine = "" if served_as["engine"] == "onnxruntime" else f"{served_as['engine']} "
        label = (
            f"  as served: {engine}{served_as['precision']}, "
            f"{decoding.num_beams} beams, {decoding.num_candidates} cand."
        )
        runs.append((label, served))
    rows = []
    for label, engine in runs:
        lat, thr = bench_engine(
            engine,
            ids,
            settings.pad_token_id,
            settings.max_new_tokens,
            False,
            args.iterations,
            args.warmup,
        )
        rows.append(Row.measured(label, limit, lat, thr))
    return rows, rows[-1].median_ms


def run_ensemble(args: argparse.Namespace) -> tuple[list[float], float]:
    """Bench the ensemble on --grpc-url, or on a server started here for the run."""
    if args.grpc_url:
        return bench_ensemble(args.grpc_url, args.iterations, args.warmup)
    from clients.server import TritonServer, free_port

    log = PROJECT_ROOT / "build" / "bench-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = TritonServer(
        args.repository,
        http_port=free_port(),
        grpc_port=free_port(),
        metrics_port=free_port(),
        log_file=log,
    )
    with server:
        server.wait_ready(("impression",), timeout=420)
        return bench_ensemble(server.grpc_url, args.iterations, args.warmup)
