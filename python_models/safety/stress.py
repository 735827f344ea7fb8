"""Adversarial inputs for the safety checks: large texts built to expose super-linear parsing.

The postprocess model checks findings of up to 128 KiB and ``report_check`` accepts reports of
the same size, so a pattern that makes parsing quadratic is a way to stall the server.
``impressions check-eval --stress`` times ``run_checks`` on these inputs; the unit tests only
assert that they complete with sane results (timings are printed by the script, not asserted).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from python_models.safety.checks import run_checks

DEFAULT_STRESS_BYTES = 128 * 1024

# name -> a unit that is repeated up to the target size (findings and impression alike).
_UNITS: dict[str, str] = {
    "repeated negations": "no effusion, ",
    "negations, no punctuation": "no effusion no pneumothorax ",
    "post-negations, no punctuation": "effusion is not seen nodule are not identified ",
    "repeated side words": "left right bilateral ",
    "side words and findings": "left effusion in the right lower lobe nodule bilaterally ",
    "repeated measurements": "1.2 x 3.4 x 5 cm nodule, 7 mm, ",
    "one measurement chain": "1 x 2 by 3 to ",
    "one huge sentence": (
        "no pneumothorax effusion left lower lobe nodule 7 mm ct scan endotracheal tube "
        "in the right mainstem bronchus is not seen but stable "
    ),
    "critical and ct words": "endotracheal tube nodule 8 mm ct ",
}


def adversarial_inputs(size: int = DEFAULT_STRESS_BYTES) -> dict[str, str]:
    """Each adversarial pattern repeated to about ``size`` bytes (ASCII, so bytes == chars)."""
    out = {}
    for name, unit in _UNITS.items():
        text = unit * max(1, size // len(unit))
        if name == "one measurement chain":
            text = text.rstrip(" to") + " cm"
        out[name] = text
    return out


def time_checks(
    size: int = DEFAULT_STRESS_BYTES, checks: Callable[..., list[dict]] = run_checks
) -> list[tuple[str, int, float, int]]:
    """(name, bytes, seconds, warning codes) per adversarial input, text in both sections."""
    rows = []
    for name, text in adversarial_inputs(size).items():
        started = time.perf_counter()
        warnings = checks(text, text, None)
        rows.append((name, len(text), time.perf_counter() - started, len(warnings)))
    return rows


def format_stress(rows: list[tuple[str, int, float, int]]) -> str:
    """A markdown table of ``time_checks`` rows."""
    lines = [
        "| adversarial input | bytes | seconds | KiB/s | codes |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, size, seconds, codes in rows:
        rate = size / 1024 / seconds if seconds else float("inf")
        lines.append(f"| {name} | {size} | {seconds:.3f} | {rate:.0f} | {codes} |")
    return "\n".join(lines)
