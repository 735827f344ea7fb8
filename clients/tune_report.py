"""What `impressions tune` writes: every trial (CSV + Markdown), the Pareto chart, the side-by-side
run, the chosen configuration (JSON, its config.pbtxt files, a repository copy) and a summary."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from clients.tune_space import (
    Candidate,
    GateRow,
    Objective,
    Step,
    Trial,
    pareto_front,
    read_configs,
    render_configs,
    render_repository,
)

# the search dimensions, as the table shows them
COLUMNS = (
    ("pre", lambda c: c.preprocess_instances),
    ("gen", lambda c: c.generator_instances),
    ("threads", lambda c: c.generator_threads or "default"),
    ("post", lambda c: c.postprocess_instances),
    ("delay µs", lambda c: c.queue_delay_us),
    ("preferred", lambda c: "x".join(map(str, c.preferred_batch)) or "-"),
    ("precision", lambda c: c.precision),
    ("beams", lambda c: c.num_beams),
    ("cand.", lambda c: c.num_candidates),
    ("cache", lambda c: "on" if c.response_cache else "off"),
    ("client", lambda c: c.protocol),
)


def _concurrencies(trials: Sequence[Trial]) -> list[int]:
    return sorted({c for t in trials for c in t.steps})


def write_trials(trials: Sequence[Trial], objective: Objective, out: Path) -> tuple[Path, Path]:
    """results/tune_trials.csv and .md: every configuration tried, in order."""
    out.mkdir(parents=True, exist_ok=True)
    levels = _concurrencies(trials)
    csv_path, md_path = out / "tune_trials.csv", out / "tune_trials.md"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        head = ["trial", *(name for name, _ in COLUMNS)]
        for c in levels:
            head += [f"c{c}_reports_per_s", f"c{c}_p50_ms", f"c{c}_p95_ms"]
        writer.writerow(head + ["objective", "gate", "load_avg", "error"])
        for t in trials:
            row = [t.number, *(get(t.candidate) for _, get in COLUMNS)]
            for c in levels:
                s = t.steps.get(c)
                row += (
                    [f"{s.throughput:.1f}", f"{s.p50_ms:.1f}", f"{s.p95_ms:.1f}"] if s else [""] * 3
                )
            row += [_objective_cell(t, objective), t.gate, f"{t.load_avg:.2f}", t.error or ""]
            writer.writerow(row)
    md_path.write_text(trials_markdown(trials, objective) + "\n")
    return csv_path, md_path


def _objective_cell(trial: Trial, objective: Objective) -> str:
    if not trial.ok or not math.isfinite(trial.objective):
        return "-"
    value = trial.objective if objective.kind == "p95" else -trial.objective
    return f"{value:.1f}"


def trials_markdown(trials: Sequence[Trial], objective: Objective) -> str:
    levels = _concurrencies(trials)
    front = set(_front(trials, objective.concurrency))
    head = ["#", *(name for name, _ in COLUMNS)]
    for c in levels:
        head += [f"c{c} rep/s", f"c{c} p50", f"c{c} p95"]
    head += ["gate", "load", "Pareto"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for t in trials:
        cells = [str(t.number), *(str(get(t.candidate)) for _, get in COLUMNS)]
        for c in levels:
            s = t.steps.get(c)
            cells += (
                [f"{s.throughput:.1f}", f"{s.p50_ms:.0f}", f"{s.p95_ms:.0f}"] if s else ["-"] * 3
            )
        cells += [t.gate if t.ok else f"failed: {t.error}", f"{t.load_avg:.1f}"]
        cells.append("★" if t.number in front else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _front(trials: Sequence[Trial], concurrency: int) -> list[int]:
    """Trial numbers on the Pareto front at ``concurrency`` (rejected text left out)."""
    usable = [t for t in trials if t.ok and concurrency in t.steps and t.gate != "rejected"]
    points = [(t.steps[concurrency].throughput, t.steps[concurrency].p95_ms) for t in usable]
    return [usable[i].number for i in pareto_front(points)]


def render_pareto(trials: Sequence[Trial], objective: Objective, path: Path) -> Path:
    """Throughput vs p95 at the objective's concurrency, every trial, the front joined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = objective.concurrency
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=100)
    groups = {
        "same text as default": lambda t: t.gate == "n/a",
        "changed text, gate held": lambda t: t.gate in ("held", "off"),
        "changed text, gate not run": lambda t: t.gate in ("not run", "failed"),
        "changed text, gate rejected": lambda t: t.gate == "rejected",
    }
    styles = {
        "same text as default": ("#4C72B0", "o"),
        "changed text, gate held": ("#55A868", "s"),
        "changed text, gate not run": ("#937860", "^"),
        "changed text, gate rejected": ("#C44E52", "x"),
    }
    measured = [t for t in trials if t.ok and c in t.steps]
    for label, test in groups.items():
        chosen = [t for t in measured if test(t)]
        if chosen:
            color, marker = styles[label]
            ax.scatter(
                [t.steps[c].throughput for t in chosen],
                [t.steps[c].p95_ms for t in chosen],
                c=color,
                marker=marker,
                label=label,
                s=36,
            )
    front_numbers = _front(trials, c)
    by_number = {t.number: t for t in measured}
    front = [by_number[n] for n in front_numbers]
    if front:
        ax.plot(
            [t.steps[c].throughput for t in front],
            [t.steps[c].p95_ms for t in front],
            color="#333333",
            lw=1,
            ls="--",
            label="Pareto front",
        )
        for t in front:
            ax.annotate(
                f"#{t.number}",
                (t.steps[c].throughput, t.steps[c].p95_ms),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
    default = next((t for t in measured if t.number == 0), None)
    if default is not None:
        ax.scatter(
            [default.steps[c].throughput],
            [default.steps[c].p95_ms],
            facecolors="none",
            edgecolors="black",
            s=140,
            label="default (#0)",
        )
    ax.set_xlabel(f"throughput at concurrency {c} (reports/s)")
    ax.set_ylabel(f"p95 latency at concurrency {c} (ms)")
    ax.set_title(f"impressions tune: {len(measured)} configurations, {objective.describe()}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def compare_markdown(
    rows: Sequence[tuple[str, int, dict[int, Step], float]], uptime_before: str, uptime_after: str
) -> str:
    levels = sorted({c for _, _, steps, _ in rows for c in steps})
    head = ["config", "round", *(f"c{c} {k}" for c in levels for k in ("rep/s", "p50", "p95"))]
    lines = ["| " + " | ".join(head + ["load avg"]) + " |", "|---|" + "---:|" * (len(head))]
    for name, round_, steps, load in rows:
        cells = [name, str(round_)]
        for c in levels:
            s = steps.get(c)
            cells += (
                [f"{s.throughput:.1f}", f"{s.p50_ms:.0f}", f"{s.p95_ms:.0f}"] if s else ["-"] * 3
            )
        lines.append("| " + " | ".join(cells + [f"{load:.1f}"]) + " |")
    names = list(dict.fromkeys(name for name, *_ in rows))
    for name in names:
        cells = [f"**{name}, median**", ""]
        for c in levels:
            steps = [s[c] for n, _, s, _ in rows if n == name and c in s]
            cells += [
                f"{_median([s.throughput for s in steps]):.1f}",
                f"{_median([s.p50_ms for s in steps]):.0f}",
                f"{_median([s.p95_ms for s in steps]):.0f}",
            ]
        lines.append("| " + " | ".join(cells + [""]) + " |")
    lines += ["", f"uptime before: `{uptime_before}`", f"uptime after: `{uptime_after}`"]
    return "\n".join(lines)


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def write_compare(rows, objective: Objective, out: Path, uptime_before: str, uptime_after: str):
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tune_compare.md"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(
        f"Side by side, one run ({stamp}), interleaved default/tuned, {objective.describe()}\n\n"
        + compare_markdown(rows, uptime_before, uptime_after)
        + "\n"
    )
    with (out / "tune_compare.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "config",
                "round",
                "concurrency",
                "reports_per_s",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "load_avg",
            ]
        )
        for name, round_, steps, load in rows:
            for c, s in sorted(steps.items()):
                writer.writerow(
                    [
                        name,
                        round_,
                        c,
                        f"{s.throughput:.1f}",
                        f"{s.p50_ms:.1f}",
                        f"{s.p95_ms:.1f}",
                        f"{s.p99_ms:.1f}",
                        f"{load:.2f}",
                    ]
                )
    return path


def write_best(
    best: Candidate, default: Candidate, source: Path, target: Path, out: Path, *, apply: bool
) -> Path:
    """results/tune_best.json + results/tune_best/<model>/config.pbtxt, and the configs into
    ``target``: in place (``apply``: only config.pbtxt files are rewritten) or a standalone
    copy of the repository."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "tune_best.json").write_text(
        json.dumps(
            {
                "candidate": best.as_dict(),
                "changes_from_default": {
                    k: [list(v) if isinstance(v, tuple) else v for v in pair]
                    for k, pair in best.changes_from(default).items()
                },
            },
            indent=2,
        )
        + "\n"
    )
    rendered = render_configs(read_configs(source), best)
    for model, text in rendered.items():
        folder = out / "tune_best" / model
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.pbtxt").write_text(text)
    if apply:
        for model, text in rendered.items():
            (Path(target) / model / "config.pbtxt").write_text(text)
        return Path(target)
    return render_repository(source, Path(target), best, copy_versions=True)


def summary(
    trials: Sequence[Trial],
    best: Candidate,
    default: Candidate,
    objective: Objective,
    compare,
    gate_rows: Sequence[GateRow],
    started: datetime,
    written: Path,
) -> str:
    lines = [f"impressions tune: {objective.describe()}"]
    if trials:
        lines[0] += f", {len(trials)} configurations measured"
    if trials:
        lines += ["", trials_markdown(trials, objective)]
    lines += ["", f"chosen: {best.label()}"]
    for name, (old, new) in best.changes_from(default).items():
        lines.append(f"  {name}: {old} -> {new}")
    if gate_rows:
        lines += ["", "quality gate (default -> chosen, allowed loss):"]
        for r in gate_rows:
            lines.append(
                f"  {r.margin.name}: {r.default} -> {r.candidate} "
                f"(loss {r.loss:+.3f}, allowed {r.margin.allowed:g}) {'held' if r.held else 'LOST'}"
            )
    if compare:
        c = objective.concurrency
        for name in ("default", "tuned"):
            steps = [s[c] for n, _, s, _ in compare if n == name and c in s]
            if steps:
                lines.append(
                    f"side by side c{c} {name}: {_median([s.throughput for s in steps]):.1f}/s, "
                    f"p95 {_median([s.p95_ms for s in steps]):.0f} ms (median of {len(steps)})"
                )
    elapsed = (datetime.now(timezone.utc) - started).total_seconds() / 60
    lines.append(f"configs written to {written}; {elapsed:.0f} min")
    return "\n".join(lines)


def gate_markdown(gate_json: Path) -> str:
    """results/tune_gate.json as a table: each metric, the margin, the default and every variant
    scored (a blank cell: that stage never ran for it, e.g. it lost on the synthetic split)."""
    from clients.tune_space import MARGINS

    saved = json.loads(Path(gate_json).read_text())["variants"]
    variants: dict[str, dict[str, float]] = {}
    for key, entry in saved.items():
        name = key.split(" / ")[0]
        variants.setdefault(name, {}).update(entry["metrics"])
    names = sorted(variants, key=lambda n: (n != "fp32 beams 4 candidates 4", n))
    head = ["metric", "allowed loss", *names]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for m in MARGINS:
        cells = [m.name, f"{m.allowed:g}"]
        for n in names:
            value = variants[n].get(m.name)
            cells.append("" if value is None else f"{value:.3f}".rstrip("0").rstrip("."))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
