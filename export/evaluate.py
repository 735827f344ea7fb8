"""`impressions eval`: quality of the demo model on the held-out test split.

One run scores, on the same cases, the extractive baseline (the abnormal-looking sentences of the
findings), the torch checkpoint and, when an exported bundle for that checkpoint exists (or can be
exported), the ONNX Runtime engines fp32 and int8. Metrics: ROUGE-1/2/L and fact metrics taken
against the structured truth of each case (measurements, laterality, negations, critical
findings), because ROUGE alone rewards fluent text that flips a side.

Only ids, counts and scores are printed; report text never is.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from export.corpus import generate_cases
from export.corpus_catalog import FINDINGS

DEFAULT_CHECKPOINT = Path("export/checkpoints/demo")
DEFAULT_REPOSITORY = Path("model_repository")
FALLBACK_REPOSITORY = Path("build/eval_repository")
PRECISIONS = ["fp32", "int8"]
OPTIONS = {"max_new_tokens": None}  # what `impressions export` records without --max-new-tokens
CARD_START, CARD_END = "<!-- eval:start -->", "<!-- eval:end -->"

_MEAS_RE = re.compile(r"\b\d+(?:\.\d+)?(?:\s*x\s*\d+(?:\.\d+)?)*\s*(?:mm|cm)\b", re.I)
_SIDE_RE = re.compile(r"\b(left|right|bilateral)\b", re.I)
_NEG_RE = re.compile(r"\bno\s+(?:evidence\s+of\s+)?([a-z][a-z0-9\- /,]*?)(?=\s*(?:[.;:]|$))", re.I)
_LIST_SPLIT_RE = re.compile(r"\s*,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+")
_SENT_RE = re.compile(r"(?<=[.;])\s+|\n")
_NORMAL_CUE = re.compile(
    r"\b(no|not|normal|normally|unremarkable|clear|intact|within normal limits|preserved|"
    r"patent|compressible|maintained|without|absent|expected position|centered|aerated|"
    r"thin|terminates at L1)\b",
    re.I,
)
_LABEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 ,/\-]{0,40}:\s+")


# --------------------------------------------------------------------------- metric pieces
def measurements(text: str) -> list[str]:
    """Measurements as written, whitespace-normalised ("2.4 x 1.8 cm", "6 mm")."""
    out = []
    for m in _MEAS_RE.finditer(text):
        out.append(re.sub(r"\s*x\s*", " x ", re.sub(r"\s+", " ", m.group(0).lower())))
    return out


def measurements_preserved(reference: str, output: str) -> bool:
    """Every number+unit of the reference appears in the output (as a multiset)."""
    missing = Counter(measurements(reference)) - Counter(measurements(output))
    return not missing


def sides(text: str) -> Counter[str]:
    """Multiset of side words: a flipped, dropped or added side changes it."""
    return Counter(s.lower() for s in _SIDE_RE.findall(text))


def laterality_correct(reference: str, output: str) -> bool:
    return sides(reference) == sides(output)


def negated_terms(text: str) -> set[str]:
    """Heads stated as absent ("No pneumothorax." -> {"pneumothorax"})."""
    terms = set()
    for match in _NEG_RE.finditer(text):
        for part in _LIST_SPLIT_RE.split(match.group(1).lower()):
            if part.strip():
                terms.add(re.sub(r"\s+", " ", part.strip()))
    return terms


def negation_correct(reference: str, output: str, positive_terms: Sequence[str] = ()) -> bool:
    """Same negated heads as the reference, and no reference-positive finding negated."""
    if negated_terms(reference) != negated_terms(output):
        return False
    return not any(
        _mentioned(output, term, negated=True) and not _mentioned(output, term, negated=False)
        for term in positive_terms
    )


def _mentioned(text: str, term: str, *, negated: bool) -> bool:
    """Whether a sentence of ``text`` mentions ``term`` (regex) with/without a leading "no"."""
    for sentence in _SENT_RE.split(text):
        match = re.search(term, sentence, re.I)
        if not match:
            continue
        is_negated = bool(
            re.search(r"\b(no|without|negative for)\b", sentence[: match.start()], re.I)
        )
        if is_negated == negated:
            return True
    return False


def critical_found(output: str, term: str) -> bool:
    """A critical finding counts as recalled when it is stated, not negated."""
    return _mentioned(output, term, negated=False)


def baseline_impression(findings: str) -> str:
    """Extractive baseline: the findings sentences without a normal-sounding cue."""
    kept = []
    for line in findings.splitlines() or [findings]:
        line = _LABEL_RE.sub("", line.strip())
        for sentence in _SENT_RE.split(line):
            sentence = _LABEL_RE.sub("", sentence.strip())
            if sentence and not _NORMAL_CUE.search(sentence):
                kept.append(sentence)
    return " ".join(kept) if kept else "No acute abnormality."


# --------------------------------------------------------------------------- scoring
@dataclass
class Scores:
    """Aggregated metrics of one system over the evaluated cases."""

    name: str
    rouge1: float
    rouge2: float
    rougeL: float
    measurement_preservation: float
    laterality_correctness: float
    negation_correctness: float
    critical_recall: float
    n_cases: int
    seconds: float
    note: str = ""
    # Served systems only: of the cases with a fact error (measurement, side, negation or a
    # critical finding wrong), the share whose answer carries a blocking warning, i.e. is sent
    # back for review; and of the cases without one, the share flagged anyway.
    errors: int | None = None
    errors_flagged: float | None = None
    false_alarms: float | None = None
    # per kind of fact error: [flagged, cases with that error]
    flagged_by_kind: dict[str, list[int]] | None = None

    def flagged_note(self) -> str:
        """ "measurements 12/40, laterality ..." for the served rows."""
        kinds = self.flagged_by_kind or {}
        return ", ".join(f"{kind} {flagged}/{total}" for kind, (flagged, total) in kinds.items())

    def _flagged_cell(self) -> str:
        if self.errors_flagged is None:
            return "no errors"
        return f"{100 * self.errors_flagged:.0f}% of {self.errors}"

    def as_row(self) -> list[str]:
        pct = [
            self.measurement_preservation,
            self.laterality_correctness,
            self.negation_correctness,
            self.critical_recall,
        ]
        return [
            self.name,
            f"{self.rouge1:.3f}",
            f"{self.rouge2:.3f}",
            f"{self.rougeL:.3f}",
            *[f"{100 * v:.1f}%" for v in pct],
            "-" if self.errors is None else self._flagged_cell(),
            "-" if self.false_alarms is None else f"{100 * self.false_alarms:.1f}%",
            str(self.n_cases),
            f"{self.seconds:.1f}",
        ]


HEADER = [
    "system",
    "ROUGE-1",
    "ROUGE-2",
    "ROUGE-L",
    "measurements",
    "laterality",
    "negation",
    "critical recall",
    "errors flagged",
    "clean flagged",
    "cases",
    "seconds",
]


@dataclass(frozen=True)
class Judgement:
    """The fact metrics of one output against one case (None: the metric does not apply)."""

    measurements_ok: bool | None
    laterality_ok: bool | None
    negation_ok: bool
    critical_found: int
    critical_total: int

    def errors(self) -> list[str]:
        """The fact metrics this output fails, by name."""
        failed = [
            ("measurements", self.measurements_ok is False),
            ("laterality", self.laterality_ok is False),
            ("negation", not self.negation_ok),
            ("critical", self.critical_found < self.critical_total),
        ]
        return [name for name, bad in failed if bad]


def judge(case: dict[str, Any], out: str) -> Judgement:
    """Measurement, laterality, negation and critical-finding correctness of ``out``."""
    ref = " ".join(case["impression"].split())
    positives = [
        FINDINGS[f["key"]].term
        for f in case["facts"]
        if f["key"] in FINDINGS and not f["negated"] and f["in_impression"]
    ]
    critical = [
        FINDINGS[f["key"]].term
        for f in case["facts"]
        if f["critical"] and not f["negated"] and f["key"] in FINDINGS
    ]
    return Judgement(
        measurements_preserved(ref, out) if measurements(ref) else None,
        laterality_correct(ref, out) if sides(ref) or sides(out) else None,
        negation_correct(ref, out, positives),
        sum(critical_found(out, term) for term in critical),
        len(critical),
    )


def _share(values: list[bool | None]) -> float:
    applicable = [v for v in values if v is not None]
    return sum(applicable) / max(1, len(applicable))


def score(
    name: str,
    cases: list[dict[str, Any]],
    outputs: list[str],
    seconds: float,
    note: str = "",
    blocked: list[bool] | None = None,
) -> Scores:
    """Score ``outputs`` (one impression per case) against the cases' references and facts;
    with ``blocked`` (did the served answer carry a blocking warning), also how many of the
    fact errors the safety checks flag for review."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)
    r1 = r2 = rl = 0.0
    judged: list[Judgement] = []
    for case, out in zip(cases, outputs, strict=True):
        s = scorer.score(" ".join(case["impression"].split()), out)
        r1, r2, rl = r1 + s["rouge1"].fmeasure, r2 + s["rouge2"].fmeasure, rl + s["rougeL"].fmeasure
        judged.append(judge(case, out))
    n = max(1, len(cases))
    flags: dict[str, Any] = {}
    if blocked is not None:
        errors = [j.errors() for j in judged]
        wrong = [bool(e) for e in errors]
        pairs = list(zip(wrong, blocked, strict=True))
        n_wrong, n_clean = sum(wrong), len(pairs) - sum(wrong)
        by_kind = {k: [0, 0] for k in ("measurements", "laterality", "negation", "critical")}
        for kinds, flagged in zip(errors, blocked, strict=True):
            for kind in kinds:
                by_kind[kind][0] += flagged
                by_kind[kind][1] += 1
        flags = {
            "errors": n_wrong,
            "errors_flagged": sum(b for w, b in pairs if w) / n_wrong if n_wrong else None,
            "false_alarms": sum(b for w, b in pairs if not w) / n_clean if n_clean else None,
            "flagged_by_kind": by_kind,
        }
    return Scores(
        name,
        r1 / n,
        r2 / n,
        rl / n,
        _share([j.measurements_ok for j in judged]),
        _share([j.laterality_ok for j in judged]),
        _share([j.negation_ok for j in judged]),
        sum(j.critical_found for j in judged) / max(1, sum(j.critical_total for j in judged)),
        len(cases),
        seconds,
        note,
        **flags,
    )


def held_out_pair_notes(cases: list[dict[str, Any]], outputs: list[str]) -> list[str]:
    """``outputs`` scored apart on the cases holding a finding pair never trained on
    (`export.corpus.has_held_out_combo`) and on the rest: where the errors concentrate."""
    from export.corpus import has_held_out_combo

    notes = []
    for label, wanted in (("with a held-out finding pair", True), ("without one", False)):
        idx = [
            i
            for i, case in enumerate(cases)
            if has_held_out_combo({f["key"] for f in case["facts"] if not f["negated"]}) == wanted
        ]
        if idx:
            s = score(label, [cases[i] for i in idx], [outputs[i] for i in idx], 0.0)
            notes.append(
                f"ORT fp32 on the {len(idx)} cases {label}: ROUGE-L {s.rougeL:.3f}, measurements "
                f"{100 * s.measurement_preservation:.1f}%, laterality "
                f"{100 * s.laterality_correctness:.1f}%, negation "
                f"{100 * s.negation_correctness:.1f}%, "
                f"critical recall {100 * s.critical_recall:.1f}%"
            )
    return notes


def write_errors(
    path: Path, cases: list[dict[str, Any]], outputs: list[str], blocked: list[bool]
) -> int:
    """One JSON line per case the served output gets a fact metric wrong (synthetic cases only:
    eval never reads patient reports), for error analysis. Returns how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w") as out_file:
        for case, out, flagged in zip(cases, outputs, blocked, strict=True):
            errors = judge(case, out).errors()
            if errors:
                row = {
                    "id": case["id"],
                    "exam": case["exam"],
                    "errors": errors,
                    "flagged": flagged,
                    "findings": case["findings_text"],
                    "reference": " ".join(case["impression"].split()),
                    "output": out,
                }
                out_file.write(json.dumps(row) + "\n")
                written += 1
    return written


def format_table(rows: list[Scores]) -> str:
    """Markdown table (reads fine in a terminal and in the model card)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.as_row()) + " |" for r in rows]
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + ([""] + notes if notes else []))


# --------------------------------------------------------------------------- systems
class _DefaultStyle:
    """Eval scores the impression before any radiologist's style (a style may not change facts)."""

    def apply(self, impression: str, radiologist_id: Any, modality: Any) -> tuple[str, list]:
        return impression, []


def prepare_cases(
    cases: list[dict[str, Any]], tokenizer: Any, max_input_tokens: int = 384
) -> list[Any]:
    """What the served preprocess makes of each case (input ids and the CONTEXT postprocess
    reads), for a client that sends the report without its impression plus exam, sex and age."""
    from export.corpus import render_report
    from python_models.preprocess import PreparedReport, Preprocessor, RawReport

    raws = [
        RawReport(
            render_report(case, impression=False),
            exam=case["exam"],
            patient_sex=case["patient"]["sex"],
            patient_age=str(case["patient"]["age"]),
        )
        for case in cases
    ]
    prepared = Preprocessor(tokenizer, max_input_tokens=max_input_tokens).prepare(raws)
    bad = [
        c["id"] for c, p in zip(cases, prepared, strict=True) if not isinstance(p, PreparedReport)
    ]
    if bad:
        raise ValueError(f"preprocess rejected {len(bad)} case(s), first {bad[0]}")
    return prepared


class Served(NamedTuple):
    """Per case, in input order: the served impression, the model's first candidate finished
    alone (the same when there is one candidate; as the model wrote it), whether the served
    answer carries a blocking warning (is sent back for review) and the served choice as the
    model wrote it (none of the postprocess edits)."""

    kept: list[str]
    first: list[str]
    blocked: list[bool]
    unaided: list[str]  # the safest candidate as the model wrote it (no edits after the choice)
    seconds: float = 0.0  # generation and the served postprocess only (not the other variants)


def _generate_batched(
    prepared: list[Any],
    tokenizer: Any,
    gen: Callable[[Any, Any], list[list[list[int]]]],
    batch_size: int,
    **edits: bool,
) -> Served:
    """Generate candidates in length-sorted batches and finish them exactly as the served
    postprocess does (placeholders written back, the safest candidate kept; default style), so
    one run shows what the choice adds and what the checks catch. ``edits``: Postprocessor's
    switches (complete_critical, ground_items, ...; all on unless given)."""
    from python_models.candidates import join_candidates
    from python_models.engines.batching import pad_rows
    from python_models.postprocess import EDITS, Postprocessor
    from python_models.safety import checker_for_context

    post = Postprocessor(tokenizer, _DefaultStyle(), checker_for_context, **edits)
    plain = Postprocessor(
        tokenizer, _DefaultStyle(), checker_for_context, **dict.fromkeys(EDITS, False)
    )
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no eos token: generated candidates cannot be read")
    order = sorted(range(len(prepared)), key=lambda i: len(prepared[i].input_ids))
    kept: list[str] = [""] * len(prepared)
    first: list[str] = [""] * len(prepared)
    blocked: list[bool] = [False] * len(prepared)
    unaided: list[str] = [""] * len(prepared)
    seconds = 0.0
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        t0 = time.perf_counter()
        candidates = gen(*pad_rows([prepared[i].input_ids for i in idx], pad))
        seconds += time.perf_counter() - t0
        runs = ((kept, post, slice(None)), (unaided, plain, slice(None)), (first, plain, slice(1)))
        for target, finisher, pick in runs:
            t0 = time.perf_counter()
            finished = finisher.finish(
                [
                    (join_candidates(rows[pick], eos), prepared[i].context)
                    for i, rows in zip(idx, candidates, strict=True)
                ]
            )
            if target is kept:
                seconds += time.perf_counter() - t0
            for i, done in zip(idx, finished, strict=True):
                target[i] = done.impression
                if target is kept:
                    blocked[i] = any(w.get("severity") == "block" for w in done.warnings)
    return Served(kept, first, blocked, unaided, seconds)


def torch_generator(
    checkpoint: Path, threads: int, max_new_tokens: int, decoding: Decoding
) -> Callable[[Any, Any], list[list[list[int]]]]:
    """HF `generate` on the saved checkpoint (the reference the engines must match), with the
    decoding settings the engines use; the n best beams per row."""
    import torch
    from transformers import T5ForConditionalGeneration

    from python_models.engines import strip_generated

    torch.set_num_threads(threads)
    model = T5ForConditionalGeneration.from_pretrained(str(checkpoint)).eval()
    k = decoding.num_candidates

    def gen(input_ids, attention_mask) -> list[list[list[int]]]:  # noqa: ANN001
        with torch.no_grad():
            out = model.generate(
                input_ids=torch.from_numpy(input_ids),
                attention_mask=torch.from_numpy(attention_mask),
                max_new_tokens=max_new_tokens,
                num_beams=decoding.num_beams,
                num_return_sequences=k,
                early_stopping=decoding.num_beams > 1,
                do_sample=False,
            )
        rows = strip_generated(out[:, 1:].tolist(), model.generation_config.eos_token_id)
        return [rows[i : i + k] for i in range(0, len(rows), k)]

    return gen


def find_bundle(
    checkpoint: Path, repository: Path, export_missing: bool
) -> tuple[Path | None, str]:
    """The generator bundle exported from ``checkpoint``, exporting one if asked and needed."""
    try:
        from export.export_cmd import export_bundle, manifest_matches, source_hash
    except ImportError as exc:
        return None, f"export module unavailable ({type(exc).__name__})"
    src = source_hash(checkpoint)
    bundle = repository / "generator" / "1"
    if bundle.exists() and manifest_matches(bundle, src, PRECISIONS, OPTIONS):
        return bundle, f"bundle {bundle}"
    fallback = FALLBACK_REPOSITORY / "generator" / "1"
    if fallback.exists() and manifest_matches(fallback, src, PRECISIONS, OPTIONS):
        return fallback, f"bundle {fallback}"
    if not export_missing:
        return None, "no exported bundle matches this checkpoint (run `impressions export`)"
    bundle = export_bundle(checkpoint, FALLBACK_REPOSITORY, PRECISIONS, if_missing=True)
    return bundle, f"exported to {bundle}"


@dataclass(frozen=True)
class Decoding:
    """How the generator decodes: beams, and how many of them postprocess chooses among."""

    num_beams: int = 1
    num_candidates: int = 1

    def describe(self) -> str:
        if self.num_beams == 1:
            return "greedy decoding"
        text = f"beam search ({self.num_beams} beams)"
        if self.num_candidates > 1:
            text += f", safest of {self.num_candidates} candidates"
        return text


def config_parameters(config: Path, defaults: dict[str, str]) -> dict[str, str]:
    """String parameters of a model config, read with Triton's own protobuf schema (empty or
    absent: the default)."""
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    parsed = text_format.Parse(config.read_text(), model_config_pb2.ModelConfig())
    values = {}
    for key, default in defaults.items():
        raw = parsed.parameters[key].string_value if key in parsed.parameters else ""
        values[key] = raw.strip() or default
    return values


def _int_parameters(config: Path, defaults: dict[str, int]) -> dict[str, int]:
    raw = config_parameters(config, {key: str(value) for key, value in defaults.items()})
    return {key: int(value) for key, value in raw.items()}


def served_decoding(config: Path = DEFAULT_REPOSITORY / "generator" / "config.pbtxt") -> Decoding:
    """The decoding the server uses, so `make eval` scores what `make serve` answers."""
    values = _int_parameters(config, {"num_beams": 1, "num_candidates": 1})
    return Decoding(values["num_beams"], values["num_candidates"])


def served_edits(repository: Path = DEFAULT_REPOSITORY) -> dict[str, bool]:
    """postprocess's edit switches as the server reads them (Postprocessor keyword -> on), so
    `make eval` scores what `make serve` answers."""
    from python_models.model_config import boolean
    from python_models.postprocess import EDITS

    config = repository / "postprocess" / "config.pbtxt"
    keys = [key for key, _ in EDITS.values()]
    raw = config_parameters(config, dict.fromkeys(keys, "true"))
    return {name: boolean(raw[key]) for name, (key, _) in EDITS.items()}


def served_max_input_tokens(repository: Path = DEFAULT_REPOSITORY) -> int:
    """preprocess's max_input_tokens (what the server truncates the findings to)."""
    config = repository / "preprocess" / "config.pbtxt"
    return _int_parameters(config, {"max_input_tokens": 384})["max_input_tokens"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="impressions eval", description=__doc__)
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    p.add_argument("--n", type=int, default=400, help="test cases")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument(
        "--repository",
        type=Path,
        default=DEFAULT_REPOSITORY,
        help="model repository holding generator/1 (the exported bundle)",
    )
    p.add_argument(
        "--engines",
        default="torch,onnx-fp32,onnx-int8",
        help="comma list of: torch, onnx-fp32, onnx-int8",
    )
    p.add_argument(
        "--no-export",
        action="store_true",
        help="do not export a missing bundle (skip the ONNX rows instead)",
    )
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-new-tokens", type=int, default=160)
    p.add_argument(
        "--num-beams",
        type=int,
        default=None,
        help="1 = greedy; default: the num_beams of model_repository/generator/config.pbtxt",
    )
    p.add_argument(
        "--num-candidates",
        type=int,
        default=None,
        help="beams postprocess chooses among (<= num-beams); default: the served config's",
    )
    p.add_argument(
        "--model-text-only",
        action="store_true",
        help="score the model's text only, with every postprocess edit off even where its "
        "config turns one on (complete_critical_findings, ground_items, merge_bilateral, "
        "pertinent_negatives, guideline_followup)",
    )
    p.add_argument("--json-out", type=Path, help="write the scores as JSON")
    p.add_argument(
        "--errors-out",
        type=Path,
        help="write the cases the served ORT fp32 output gets wrong as JSON lines (analysis)",
    )
    p.add_argument(
        "--model-card", type=Path, help="replace the table between eval markers in this README"
    )
    return p


def main(argv: list[str]) -> int:
    if any(a == "--dataset" or a.startswith("--dataset=") for a in argv):
        from export.external_eval import main as external_main  # external sets, own options

        return external_main(argv)
    parser = build_parser()
    parser.epilog = "External sets: impressions eval --dataset FILE.jsonl (docs/evaluation.md)"
    args = parser.parse_args(argv)
    from python_models.postprocess import EDITS
    from python_models.tokenizer_loader import load_tokenizer

    cases = generate_cases(args.n, seed=args.seed, split=args.split)
    decoding = _decoding(args)
    edits = dict.fromkeys(EDITS, False) if args.model_text_only else served_edits(args.repository)
    tokenizer = load_tokenizer(args.checkpoint)
    prepared = prepare_cases(cases, tokenizer, served_max_input_tokens(args.repository))
    rows: list[Scores] = []

    t0 = time.perf_counter()
    base = [baseline_impression(c["findings_text"]) for c in cases]
    rows.append(score("extractive baseline", cases, base, time.perf_counter() - t0))

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    outputs: dict[str, list[str]] = {}
    unaided: dict[str, list[str]] = {}
    if "torch" in engines:
        gen = torch_generator(args.checkpoint, args.threads, args.max_new_tokens, decoding)
        served = _generate_batched(prepared, tokenizer, gen, args.batch_size, **edits)
        outputs["torch"] = served.kept
        rows.append(
            score("model (torch)", cases, served.kept, served.seconds, blocked=served.blocked)
        )
    onnx = [e for e in engines if e.startswith("onnx-")]
    if onnx:
        bundle, note = find_bundle(args.checkpoint, args.repository, not args.no_export)
        print(f"onnx: {note}", file=sys.stderr)
        if bundle is None:
            print("onnx rows skipped: evaluate with torch only", file=sys.stderr)
        else:
            from python_models.engines import load_engine

            for name in onnx:
                precision = name.split("-", 1)[1]
                engine = load_engine(
                    "onnxruntime",
                    bundle,
                    precision=precision,
                    num_threads=args.threads,
                    num_beams=decoding.num_beams,
                    num_candidates=decoding.num_candidates,
                )

                def gen(ids, mask, engine=engine):  # noqa: ANN001
                    return engine.generate_candidates(ids, mask, args.max_new_tokens)

                served = _generate_batched(prepared, tokenizer, gen, args.batch_size, **edits)
                seconds = served.seconds
                outputs[name], first = served.kept, served.first
                if precision == "fp32" and args.errors_out:
                    n_wrong = write_errors(args.errors_out, cases, served.kept, served.blocked)
                    print(f"{n_wrong} wrong case(s) written to {args.errors_out}", file=sys.stderr)
                rows.append(
                    score(
                        f"model (ORT {precision})",
                        cases,
                        served.kept,
                        seconds,
                        blocked=served.blocked,
                    )
                )
                if precision == "fp32" and any(edits.values()):
                    unaided[name] = served.unaided
                    rows.append(
                        score(
                            "  same, the model's text only",
                            cases,
                            served.unaided,
                            seconds,
                            "the same choice as the model wrote it: no omitted critical finding "
                            "added, no statement held to the findings, no sides merged, no "
                            "negative answer added, no Fleischner recommendation set from the "
                            "table (timing shared with the row above)",
                        )
                    )
                if precision == "fp32" and decoding.num_candidates > 1:
                    rows.append(
                        score(
                            "  same, model's first beam only",
                            cases,
                            first,
                            seconds,
                            "the first of the same candidates (timing shared with the row above)",
                        )
                    )

    table = format_table(rows)
    extra = []
    if args.errors_out and "onnx-fp32" not in outputs:
        print("--errors-out: nothing written (it needs the onnx-fp32 row)", file=sys.stderr)
    for row in rows:
        if row.flagged_by_kind and row.name == "model (ORT fp32)":
            extra.append(f"ORT fp32 fact errors flagged for review, by kind: {row.flagged_note()}")
    if "onnx-fp32" in outputs:
        extra += held_out_pair_notes(cases, outputs["onnx-fp32"])
    if "onnx-fp32" in unaided:
        extra += [
            f"the model's text only: {note}"
            for note in held_out_pair_notes(cases, unaided["onnx-fp32"])
        ]
    if "onnx-fp32" in outputs and "onnx-int8" in outputs:
        f32 = next(r for r in rows if r.name == "model (ORT fp32)")
        i8 = next(r for r in rows if r.name == "model (ORT int8)")
        same = sum(a == b for a, b in zip(outputs["onnx-fp32"], outputs["onnx-int8"], strict=True))
        extra.append(
            f"int8 vs fp32: ROUGE-L difference {i8.rougeL - f32.rougeL:+.4f}; "
            f"identical outputs {same}/{len(cases)}"
        )
    if "torch" in outputs and "onnx-fp32" in outputs:
        same = sum(a == b for a, b in zip(outputs["torch"], outputs["onnx-fp32"], strict=True))
        extra.append(f"ORT fp32 vs torch: identical outputs {same}/{len(cases)}")
    header = (
        f"{args.split} split, seed {args.seed}, {len(cases)} cases, "
        f"{decoding.describe()}, "
        + "".join(
            f"{label} {'on' if edits[name] else 'off'}, " for name, (_, label) in EDITS.items()
        )
        + f"{args.threads} threads"
    )
    text = "\n".join([header, "", table] + ([""] + extra if extra else []))
    print(text)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(
            json.dumps(
                {"header": header, "rows": [r.__dict__ for r in rows], "notes": extra}, indent=2
            )
            + "\n"
        )
    if args.model_card:
        write_card_table(args.model_card, text)
    return 0


def _decoding(args: argparse.Namespace) -> Decoding:
    """The served decoding, with any of it overridden on the command line."""
    served = served_decoding(args.repository / "generator" / "config.pbtxt")
    beams = args.num_beams or served.num_beams
    candidates = args.num_candidates or min(served.num_candidates, beams)
    if not 1 <= candidates <= beams:
        raise SystemExit(f"--num-candidates must be in [1, {beams}] (the beams), got {candidates}")
    return Decoding(beams, candidates)


def write_card_table(card: Path, text: str) -> None:
    """Put ``text`` between the eval markers of the model card (markers must exist)."""
    content = card.read_text()
    if CARD_START not in content or CARD_END not in content:
        raise ValueError(f"{card} lacks the {CARD_START} / {CARD_END} markers")
    head, rest = content.split(CARD_START, 1)
    _, tail = rest.split(CARD_END, 1)
    card.write_text(f"{head}{CARD_START}\n{text}\n{CARD_END}{tail}")
