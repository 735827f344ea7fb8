"""The load-test chart: throughput vs p95 latency, and where the time goes per model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clients.load import StepResult

_PIPELINE = ("preprocess", "generator", "postprocess")  # bottom-to-top in the stacked bars
_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860")


def render_chart(steps: Sequence[StepResult], path: Path, title: str) -> Path:
    """Write a two-panel PNG; the ensemble row itself is left out of the per-model panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), dpi=100)
    throughput = [s.throughput for s in steps]
    p95 = [s.p95_ms for s in steps]
    left.plot(throughput, p95, marker="o", color=_COLORS[0])
    for step in steps:
        left.annotate(
            f"c={step.concurrency}",
            (step.throughput, step.p95_ms),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=8,
        )
    left.set_xlabel("throughput (reports/s)")
    left.set_ylabel("p95 latency (ms)")
    left.set_title("throughput vs p95 latency per concurrency")
    left.grid(alpha=0.3)

    seen = {m.model for s in steps for m in s.models if m.model != "impression"}
    models = [m for m in _PIPELINE if m in seen] + sorted(seen - set(_PIPELINE))
    x = list(range(len(steps)))
    bottom = [0.0] * len(steps)
    for index, model in enumerate(models):
        color = _COLORS[index % len(_COLORS)]
        for part in ("queue", "compute"):
            heights: list[float] = []
            for step in steps:
                row = next((m for m in step.models if m.model == model), None)
                heights.append(0.0 if row is None else getattr(row, f"{part}_ms"))
            right.bar(
                x,
                heights,
                bottom=bottom,
                color=color,
                alpha=0.45 if part == "queue" else 0.95,
                hatch="//" if part == "queue" else None,
                edgecolor="white",
                label=f"{model} {part}",
            )
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    right.set_xticks(x, [str(s.concurrency) for s in steps])
    right.set_xlabel("concurrency")
    right.set_ylabel("ms per request (Triton /metrics)")
    right.set_title("per-model queue vs compute time")
    right.legend(fontsize=7, ncol=2)
    right.grid(axis="y", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
