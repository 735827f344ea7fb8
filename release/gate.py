"""The two checks a release must pass before anything is written: parity and quality.

Parity: the exported engine against torch, token for token, on the same synthetic inputs.
Quality: the project's own evaluation (`impressions eval`) run on the staged repository, so the
scores are those of the pipeline as it would be served; only aggregate scores are kept.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from release.metadata import Bound, Parity, Quality, ReleaseError


@dataclass
class GateResult:
    """One gate's outcome: passed, the scores it judged, and why it failed (if it did)."""

    name: str
    passed: bool
    scores: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_bounds(label: str, scores: dict[str, Any], bounds: dict[str, Bound]) -> list[str]:
    """Each threshold that the scores break, as a sentence; a missing metric is a failure."""
    failures = []
    for metric, bound in sorted(bounds.items()):
        value = scores.get(metric)
        if not isinstance(value, (int, float)):
            failures.append(f"{label}: no metric {metric!r} (have {', '.join(sorted(scores))})")
            continue
        if bound.min is not None and value < bound.min:
            failures.append(f"{label}: {metric} {value:.4g} < min {bound.min:g}")
        if bound.max is not None and value > bound.max:
            failures.append(f"{label}: {metric} {value:.4g} > max {bound.max:g}")
    return failures


def parity_gate(bundle: Path, spec: Parity, precision: str) -> GateResult:
    """torch vs the exported fp32 graph (greedy), and fp32 vs int8 when int8 is released."""
    from export.export_cmd import sample_inputs, token_agreement
    from python_models.engines import load_engine

    ids, mask = sample_inputs(bundle / "tokenizer", spec.samples)
    rows = len(ids)
    outputs = {
        "torch": load_engine("torch", bundle, num_threads=2).generate(
            ids, mask, spec.max_new_tokens
        )
    }
    for name in ["fp32"] + (["int8"] if precision == "int8" else []):
        engine = load_engine("onnxruntime", bundle, precision=name, num_threads=2)
        outputs[name] = engine.generate(ids, mask, spec.max_new_tokens)
    share, exact = token_agreement(outputs["torch"], outputs["fp32"])
    scores: dict[str, Any] = {
        "rows": rows,
        "torch_vs_fp32_token_share": round(share, 4),
        "torch_vs_fp32_identical_rows": exact,
    }
    failures = []
    if exact / rows < spec.min_identical_rows:
        failures.append(
            f"parity: {exact}/{rows} rows identical torch vs exported fp32 "
            f"(needs {spec.min_identical_rows:.0%})"
        )
    if "int8" in outputs:  # reported, not gated: int8 is not meant to be token-identical
        share8, exact8 = token_agreement(outputs["fp32"], outputs["int8"])
        scores["fp32_vs_int8_token_share"] = round(share8, 4)
        scores["fp32_vs_int8_identical_rows"] = exact8
    return GateResult("parity", not failures, scores, failures)


def _external_scores(set_json: dict[str, Any]) -> dict[str, Any]:
    """Flat numeric scores of the served system on one set (+ shares for check sets)."""
    merged = {**set_json["systems"].get("served", {}), **set_json.get("served", {})}
    scores = {k: v for k, v in merged.items() if isinstance(v, int | float)}
    if scores.get("planted"):
        scores["caught_share"] = round(scores["caught"] / scores["planted"], 4)
    if scores.get("clean"):
        scores["clean_blocked_share"] = round(scores["clean_blocked"] / scores["clean"], 4)
    if scores.get("cases"):
        scores["blocked_share"] = round(scores.get("blocked", 0) / scores["cases"], 4)
    return scores


def _run_eval(argv: list[str]) -> dict[str, Any]:
    """`impressions eval ARGV --json-out TMP` in process; its JSON, its console output hidden."""
    from export.evaluate import main as eval_main

    with tempfile.TemporaryDirectory(prefix="impressions-gate-") as tmp:
        out = Path(tmp) / "scores.json"
        console = io.StringIO()
        try:
            with contextlib.redirect_stdout(console):
                code = eval_main([*argv, "--json-out", str(out)])
        except SystemExit as exc:
            raise ReleaseError(f"quality gate: evaluation stopped: {exc}") from exc
        if code != 0 or not out.exists():
            raise ReleaseError(f"quality gate: `impressions eval` exited {code}")
        return json.loads(out.read_text())


def quality_gate(
    staged_repository: Path, checkpoint: Path, quality: Quality, data_dir: Path, precision: str
) -> GateResult:
    """External sets (those present), then the synthetic split; aggregate scores only."""
    result = GateResult("quality", True)
    common = ["--repository", str(staged_repository), "--checkpoint", str(checkpoint)]
    for item in quality.external:
        path = data_dir / item.path
        if not path.is_file():
            result.skipped.append(f"{item.path} (not found under {data_dir})")
            continue
        argv = ["--dataset", str(path), *common, "--threads", "2"]
        if quality.limit:
            argv += ["--limit", str(quality.limit)]
        sets = _run_eval(argv)["sets"]
        scores = _external_scores(sets[0])
        result.scores[item.path] = scores
        result.failures += check_bounds(item.path, scores, item.thresholds)
    if quality.synthetic is not None:
        argv = [*common, "--n", str(quality.synthetic.n), "--engines", f"onnx-{precision}"]
        rows = _run_eval([*argv, "--no-export"])["rows"]
        wanted = f"model (ORT {precision})"
        row = next((r for r in rows if r["name"] == wanted), None)
        if row is None:
            raise ReleaseError(f"quality gate: the synthetic evaluation has no row {wanted!r}")
        scores = {k: v for k, v in row.items() if isinstance(v, int | float)}
        result.scores["synthetic"] = scores
        result.failures += check_bounds("synthetic", scores, quality.synthetic.thresholds)
    if not result.scores:
        result.failures.append("quality: no set could be scored (every set skipped)")
    result.passed = not result.failures
    return result
