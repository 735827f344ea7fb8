"""`impressions eval --dataset FILE`: the served pipeline on report sets it has never seen.

A figure on our own corpus generator's test split measures the model on our own templates; the
external sets (`../shared/data/`, read-only, never committed) measure what the service does on
real language. One run scores, per file, the served answers and the baselines with the metrics
of `../shared/eval/score_*.py` (re-implemented in `export.external_metrics`, checked equal by a
test), plus how many served answers are blocked, rejected, or carry a normal phrase of another
body region. Only ids, counts and scores are printed; `--errors-out` holds the failing answers
(report text: keep that file out of the repository).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from export.external_metrics import (
    IU_CONSTANT,
    aggregate_cases,
    aggregate_check,
    aggregate_iu,
    blocking,
    cases_extractive,
    iu_extractive,
    judge_case,
    judge_check,
    judge_iu,
    wrong_region_phrases,
)
from export.external_runners import (
    Answer,
    InProcessRunner,
    RemoteRunner,
    Runner,
    stderr_progress,
)
from export.external_sets import HALVES, Dataset, DatasetError, findings_of, load_dataset
from export.external_sets import select_half as _select_half

SERVED = "served"
MAX_IDS = 20  # ids listed per failure kind on stdout


@dataclass
class SetResult:
    """One file's scores: a summary per system (the scorer's keys), the served answers' own
    counts, and per failing case what failed (for --errors-out)."""

    name: str
    kind: str
    systems: dict[str, dict[str, Any]]
    served: dict[str, Any] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)  # run_cases.py's lines


# --------------------------------------------------------------------------- scoring
def _served_counts(
    cases: Sequence[dict[str, Any]], answers: Sequence[Answer], *, regions: bool
) -> dict[str, Any]:
    """Blocked answers, rejected cases and (summarization) wrong-region normal phrases."""
    rejected = [c["id"] for c, a in zip(cases, answers, strict=True) if a.error]
    counts: dict[str, Any] = {
        "blocked": sum(blocking(a.warnings) for a in answers if not a.error),
        "rejected": len(rejected),
        "rejected_ids": rejected,
    }
    if regions:
        wrong = {
            c["id"]: found
            for c, a in zip(cases, answers, strict=True)
            if (found := wrong_region_phrases(a.impression, c.get("exam")))
        }
        by_region = Counter(region for found in wrong.values() for region in found)
        counts |= {
            "wrong_region_normal": len(wrong),
            "wrong_region_by_region": dict(sorted(by_region.items())),
            "wrong_region_ids": list(wrong),
        }
    return counts


def _failure_row(case: dict[str, Any], answer: Answer, failed: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": case["id"], "failed": failed}
    if answer.impression is not None:
        row["impression"] = answer.impression
    row["warnings"] = answer.codes()
    if answer.error:
        row["error"] = answer.error
    return row


def score_summarization(
    dataset: Dataset, cases: list[dict[str, Any]], answers: list[Answer]
) -> SetResult:
    """IU or hand-written summarization cases: the served answers, the extractive baseline
    and (IU) the constant normal answer, each with all the set type's metrics."""
    served = [a.impression or "" for a in answers]
    ids = [c["id"] for c in cases]
    systems: dict[str, dict[str, Any]] = {}
    if dataset.kind == "iu":
        judged = [judge_iu(c, out) for c, out in zip(cases, served, strict=True)]
        baselines = {
            "extractive baseline": [iu_extractive(findings_of(c)) for c in cases],
            "constant normal": [IU_CONSTANT] * len(cases),
        }
        systems[SERVED] = aggregate_iu(judged)
        for name, outs in baselines.items():
            systems[name] = aggregate_iu([judge_iu(c, o) for c, o in zip(cases, outs, strict=True)])
    else:
        judged = [judge_case(c, out) for c, out in zip(cases, served, strict=True)]
        extractive = [cases_extractive(findings_of(c)) for c in cases]
        systems[SERVED] = aggregate_cases(judged, ids)
        base = aggregate_cases(
            [judge_case(c, o) for c, o in zip(cases, extractive, strict=True)], ids
        )
        base.pop("failed_ids")  # as score_cases.py prints the baseline
        systems["extractive baseline"] = base
    counts = _served_counts(cases, answers, regions=True)
    wrong = set(counts["wrong_region_ids"])
    failures = []
    for case, answer, judgement in zip(cases, answers, judged, strict=True):
        failed = judgement.failures()
        if answer.error:
            failed["rejected"] = True
        if case["id"] in wrong:
            failed["wrong_region_normal"] = wrong_region_phrases(
                answer.impression, case.get("exam")
            )
        if failed:
            failures.append(_failure_row(case, answer, failed))
    return SetResult(dataset.name, dataset.kind, systems, counts, failures, _lines(cases, answers))


def _lines(cases: Sequence[dict[str, Any]], answers: Sequence[Answer]) -> list[dict[str, Any]]:
    return [{"id": c["id"], **a.as_result()} for c, a in zip(cases, answers, strict=True)]


def score_checks(dataset: Dataset, cases: list[dict[str, Any]], answers: list[Answer]) -> SetResult:
    """Report-check cases: recall per planted code, clean reports blocked."""
    judged = [judge_check(c, a.as_result()) for c, a in zip(cases, answers, strict=True)]
    summary = aggregate_check(judged, [c["id"] for c in cases])
    failures = []
    for case, answer, judgement in zip(cases, answers, judged, strict=True):
        failed = judgement.failures()
        if answer.error:
            failed["rejected"] = True
        if failed:
            failures.append(_failure_row(case, answer, failed))
    counts = _served_counts(cases, answers, regions=False)
    return SetResult(
        dataset.name, dataset.kind, {SERVED: summary}, counts, failures, _lines(cases, answers)
    )


def pooled(results: list[tuple[Dataset, list[dict[str, Any]], list[Answer]]]) -> SetResult:
    """All hand-written summarization files as one set (metrics over the union of cases)."""
    cases = [c for _, cs, _ in results for c in cs]
    answers = [a for _, _, ans in results for a in ans]
    names = "+".join(d.name for d, _, _ in results)
    return score_summarization(Dataset(f"pooled ({names})", "cases", cases), cases, answers)


# --------------------------------------------------------------------------- printing
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "iu": [
        ("cases", "cases"),
        ("errors", "errors"),
        ("rougeL", "ROUGE-L"),
        ("key_recall", "key-finding recall"),
        ("acute_recall", "acute recall"),
        ("acute_cases", "acute cases"),
        ("false_normal", "false-normal"),
        ("invented_acute", "invented acute"),
    ],
    "cases": [
        ("cases", "cases"),
        ("errors", "errors"),
        ("must_pct", "must %"),
        ("never_violations", "never violations"),
        ("acute_answered_normal", "acute answered normal"),
        ("rougeL", "ROUGE-L"),
    ],
}
SERVED_COLUMNS = [
    ("blocked", "blocked answers"),
    ("rejected", "rejected"),
    ("wrong_region_normal", "wrong-region normal"),
]


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _ids(label: str, ids: Sequence[str]) -> str:
    more = f" (+{len(ids) - MAX_IDS} more)" if len(ids) > MAX_IDS else ""
    return f"- {label}: {len(ids)}" + (f": {', '.join(ids[:MAX_IDS])}{more}" if ids else "")


def format_result(result: SetResult) -> str:
    """A table for one set, then the ids behind the counts (never report text)."""
    counts = result.served
    if result.kind == "check":
        summary = result.systems[SERVED]
        codes = list(summary["recall"])
        header = ["system", *codes, "caught", "clean blocked", "rejected"]
        row = [
            SERVED,
            *summary["recall"].values(),
            f"{summary['caught']}/{summary['planted']}",
            f"{summary['clean_blocked']}/{summary['clean']}",
            str(counts["rejected"]),
        ]
        notes = [
            _ids("planted errors missed", summary["missed_ids"]),
            _ids("clean reports blocked", summary["false_positive_ids"]),
        ]
    else:
        cols = COLUMNS[result.kind]
        header = ["system", *(label for _, label in cols), *(label for _, label in SERVED_COLUMNS)]
        rows = []
        for name, summary in result.systems.items():
            extra = [str(counts[k]) if name == SERVED else "-" for k, _ in SERVED_COLUMNS]
            rows.append([name, *(_cell(summary[k]) for k, _ in cols), *extra])
        row = None
        notes = _summarization_notes(result)
    table = _markdown(header, [row] if row else rows)
    notes.append(_ids("rejected by the service", counts["rejected_ids"]))
    return "\n".join([f"### {result.name} ({result.kind})", "", table, "", *notes])


def _cell(value: Any) -> str:
    """Values as the scorers print them (already rounded there)."""
    return str(value)


def _summarization_notes(result: SetResult) -> list[str]:
    by_metric: dict[str, list[str]] = {}
    for row in result.failures:
        for metric in row["failed"]:
            by_metric.setdefault(metric, []).append(row["id"])
    wanted = (
        ["false_normal", "invented_acute", "acute_missed"]
        if result.kind == "iu"
        else ["never", "acute_answered_normal", "must_missed"]
    )
    notes = [_ids(f"served {m.replace('_', ' ')}", by_metric.get(m, [])) for m in wanted]
    regions = result.served.get("wrong_region_by_region") or {}
    named = ", ".join(f"{r} {n}" for r, n in regions.items())
    notes.append(
        _ids("served wrong-region normal phrases", result.served.get("wrong_region_ids", []))
        + (f" (regions named: {named})" if named else "")
    )
    return notes


# --------------------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    from export.evaluate import DEFAULT_CHECKPOINT, DEFAULT_REPOSITORY

    p = argparse.ArgumentParser(prog="impressions eval --dataset", description=__doc__)
    p.add_argument(
        "--dataset",
        type=Path,
        action="append",
        required=True,
        help="JSONL set (repeat for several; each gets its own table)",
    )
    p.add_argument(
        "--half",
        choices=HALVES,
        default="all",
        help="score the read or unread half (fixed split by id hash; see docs/evaluation.md)",
    )
    p.add_argument("--url", help="HOST:PORT of a running server (default: in process)")
    p.add_argument("--protocol", choices=("grpc", "http"), default="grpc")
    p.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY)
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    p.add_argument("--threads", type=int, default=None, help="ORT threads (default: all cores)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--limit", type=int, default=None, help="first N cases of each set only")
    p.add_argument("--json-out", type=Path, help="write all scores as JSON (ids, no text)")
    p.add_argument(
        "--results-out",
        type=Path,
        help="folder: per set, every answer as ../shared/eval/run_cases.py writes it (for the "
        "official scorers); holds report text, so write it outside the repository",
    )
    p.add_argument(
        "--errors-out",
        type=Path,
        help="write the failing cases as JSON lines, with the served impression: it holds "
        "text from the set, so write it outside the repository",
    )
    return p


def _runner(args: argparse.Namespace) -> Runner:
    if args.url:
        return RemoteRunner(args.url, args.protocol)
    return InProcessRunner(args.repository, args.checkpoint, args.threads, args.batch_size)


def _refuse(args: argparse.Namespace) -> str | None:
    """Why these arguments must not run, or None."""
    for flag, path in (("--errors-out", args.errors_out), ("--results-out", args.results_out)):
        if path and args.half == "unread":
            return f"{flag} with --half unread: the unread half is scored, never read"
        if path and _committable(path):
            return f"{flag} inside the checkout: it holds report text; write it elsewhere"
    names = [p.name for p in args.dataset]
    if len(set(names)) < len(names):
        return "two datasets share a file name (tables and --results-out files are named by it)"
    missing = [str(p) for p in args.dataset if not p.is_file()]
    if missing:
        return f"dataset file(s) not found: {', '.join(missing)}"
    if args.limit is not None and args.limit < 1:
        return "--limit must be >= 1"
    return None


def _committable(path: Path) -> bool:
    """Whether ``path`` lies in this git checkout and is not git-ignored (could be committed)."""
    root = Path(__file__).resolve().parents[1]
    target = path.resolve()
    if not (root / ".git").exists() or not target.is_relative_to(root):
        return False
    ignored = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "-q", str(target)], check=False
    )
    return ignored.returncode != 0


def run_sets(args: argparse.Namespace, runner: Runner) -> tuple[list[SetResult], SetResult | None]:
    """Score every dataset; the pooled hand-written summarization set when there are several."""
    results: list[SetResult] = []
    answered: list[tuple[Dataset, list[dict[str, Any]], list[Answer]]] = []
    for path in args.dataset:
        dataset = load_dataset(path)
        cases = _select_half(dataset.records, args.half)[: args.limit]
        if not cases:
            print(f"{dataset.name}: no cases in half {args.half!r}", file=sys.stderr)
            continue
        progress = stderr_progress(dataset.name)
        if dataset.kind == "check":
            answers = runner.check(cases, progress)
            results.append(score_checks(dataset, cases, answers))
        else:
            answers = runner.summarize(cases, progress)
            results.append(score_summarization(dataset, cases, answers))
            if dataset.kind == "cases":
                answered.append((dataset, cases, answers))
    pool = pooled(answered) if len(answered) > 1 else None
    return results, pool


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    reason = _refuse(args)
    if reason:
        print(f"impressions eval: {reason}", file=sys.stderr)
        return 2
    runner = _runner(args)
    try:
        results, pool = run_sets(args, runner)
    except DatasetError as exc:
        print(f"impressions eval: {exc}", file=sys.stderr)
        return 2
    shown = results + ([pool] if pool else [])
    head = f"External evaluation, half {args.half}: {runner.description}"
    print("\n\n".join([head, *(format_result(r) for r in shown)]))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "runner": runner.description,
            "half": args.half,
            "sets": [
                {"name": r.name, "kind": r.kind, "systems": r.systems, "served": r.served}
                for r in shown
            ],
        }
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    if args.results_out:
        args.results_out.mkdir(parents=True, exist_ok=True)
        for result in results:
            lines = "".join(json.dumps(line) + "\n" for line in result.results)
            (args.results_out / result.name).write_text(lines, encoding="utf-8")
        print(f"answers of {len(results)} set(s) written to {args.results_out}", file=sys.stderr)
    if args.errors_out:
        args.errors_out.parent.mkdir(parents=True, exist_ok=True)
        with args.errors_out.open("w", encoding="utf-8") as handle:
            for result in results:
                for row in result.failures:
                    handle.write(json.dumps({"set": result.name, **row}) + "\n")
        n = sum(len(r.failures) for r in results)
        print(f"{n} failing case(s) written to {args.errors_out}", file=sys.stderr)
    return 0
