"""`impressions bench-post`: what each postprocess edit costs, one table, one run.

The generator's candidates for held-out test reports are made once (ONNX Runtime fp32, the
served decoding); then the served postprocess (`python_models.postprocess.Postprocessor`, default
style) finishes the same candidates with the edits switched on one after another, in the order
postprocess applies them, so each row adds one edit to the row above. Times are per report, in
process, on this machine; the ensemble adds Triton's hops on top (`impressions bench`). Only ids,
counts and times are printed; report text never is.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from export.evaluate import (
    DEFAULT_CHECKPOINT,
    DEFAULT_REPOSITORY,
    _DefaultStyle,
    prepare_cases,
    served_decoding,
    served_max_input_tokens,
)


class Row(NamedTuple):
    name: str
    median_ms: float
    p95_ms: float
    changed: int  # reports whose answer differs from the row with every edit off


def edit_steps() -> list[tuple[str, dict[str, bool]]]:
    """(row name, Postprocessor switches): none on, then one more edit per row."""
    from python_models.postprocess import EDITS

    names = list(EDITS)
    steps = [("every edit off (the model's text)", dict.fromkeys(names, False))]
    for i, name in enumerate(names):
        switches = {n: j <= i for j, n in enumerate(names)}
        steps.append((f"+ {EDITS[name][1]}", switches))
    return steps


def time_postprocess(
    jobs: Sequence[tuple[Sequence[int], dict[str, Any]]],
    tokenizer: Any,
    steps: list[tuple[str, dict[str, bool]]],
    repeats: int = 3,
) -> list[Row]:
    """Finish every job (candidate ids, CONTEXT) one at a time under each step's switches; the
    per-report time is the best of ``repeats`` passes (the least disturbed by the host)."""
    from python_models.postprocess import Postprocessor
    from python_models.safety import checker_for_context

    rows: list[Row] = []
    baseline: list[str] | None = None
    for name, switches in steps:
        post = Postprocessor(tokenizer, _DefaultStyle(), checker_for_context, **switches)
        best = [float("inf")] * len(jobs)
        answers: list[str] = []
        for _ in range(max(1, repeats)):
            answers = []
            for i, job in enumerate(jobs):
                t0 = time.perf_counter()
                (done,) = post.finish([job])
                best[i] = min(best[i], time.perf_counter() - t0)
                answers.append(done.impression)
        if baseline is None:
            baseline = answers
        ms = sorted(t * 1000 for t in best)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        changed = sum(a != b for a, b in zip(answers, baseline, strict=True))
        rows.append(Row(name, statistics.median(ms), p95, changed))
    return rows


def render(rows: list[Row], reports: int) -> str:
    base = rows[0].median_ms
    lines = [
        f"{'postprocess':<40}{'median':>10}{'p95':>10}{'vs off':>9}{'answers changed':>18}",
        "-" * 87,
    ]
    for row in rows:
        lines.append(
            f"{row.name:<40}{row.median_ms:>8.2f}ms{row.p95_ms:>8.2f}ms"
            f"{row.median_ms / base if base else 0:>8.2f}x{f'{row.changed}/{reports}':>18}"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="impressions bench-post", description=__doc__)
    p.add_argument("--n", type=int, default=200, help="test reports")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    p.add_argument("--repeats", type=int, default=3, help="passes; the best time per report")
    p.add_argument("--threads", type=int, default=2, help="engine threads (generation only)")
    return p


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from export.corpus import generate_cases
    from python_models.candidates import join_candidates
    from python_models.engines import load_engine
    from python_models.engines.batching import pad_rows
    from python_models.tokenizer_loader import load_tokenizer

    bundle = args.repository / "generator" / "1"
    if not (bundle / "model.onnx").exists():
        print(f"no exported model in {bundle}: run `make artifacts` first")
        return 2
    tokenizer = load_tokenizer(args.checkpoint)
    decoding = served_decoding(args.repository / "generator" / "config.pbtxt")
    engine = load_engine(
        "onnxruntime",
        bundle,
        precision="fp32",
        num_threads=args.threads,
        num_beams=decoding.num_beams,
        num_candidates=decoding.num_candidates,
    )
    cases = generate_cases(args.n, seed=args.seed, split="test")
    prepared = prepare_cases(cases, tokenizer, served_max_input_tokens(args.repository))
    jobs = []
    for p in prepared:
        (rows,) = engine.generate_candidates(*pad_rows([p.input_ids], tokenizer.pad_token_id), None)
        jobs.append((join_candidates(rows, tokenizer.eos_token_id), p.context))
    rows = time_postprocess(jobs, tokenizer, edit_steps(), args.repeats)
    print(
        f"test split, seed {args.seed}, {len(jobs)} reports, one at a time, best of "
        f"{args.repeats} passes, candidates from ORT fp32 ({decoding.describe()})\n"
    )
    print(render(rows, len(jobs)))
    return 0
