"""Who answers the external cases: the served pipeline in process, or a running server.

In process, each case goes through what the Triton models run, with their config.pbtxt
parameters: preprocess (`Preprocessor`, the served tokenizer and limits), the ONNX Runtime
generator (the served decoding), postprocess (`Postprocessor` with the served edits, the
safety checks, and the style service's default profile, which the server applies when no
radiologist_id is sent), and for report-check cases `check_report`. The inputs are
the ones `../shared/eval/run_cases.py` sends, so the two paths score the same requests.
A case the service would reject is recorded as that case's error; the run goes on.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from export.external_sets import report_text

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Answer:
    """The service's answer to one case; ``error`` says why it was rejected (a rule or an
    exception type, never report text)."""

    impression: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def codes(self) -> list[str]:
        return [str(w.get("code")) for w in self.warnings]

    def as_result(self) -> dict[str, Any]:
        """The JSON line run_cases.py writes for this answer (what the scorers read)."""
        out: dict[str, Any] = {"warnings": self.warnings}
        if self.impression is not None:
            out["impression"] = self.impression
        if self.error is not None:
            out["error"] = self.error
        return out


class Runner(Protocol):
    description: str

    def summarize(self, cases: Sequence[Mapping[str, Any]], progress: Progress) -> list[Answer]:
        """One answer of the `impression` ensemble per case, in order."""
        ...

    def check(self, cases: Sequence[Mapping[str, Any]], progress: Progress) -> list[Answer]:
        """One answer of the `report_check` model per case, in order."""
        ...


def optional(value: Any) -> str | None:
    """An optional input as run_cases.py sends it: absent when None or empty."""
    return None if value is None or value == "" else str(value)


def impression_inputs(case: Mapping[str, Any]) -> dict[str, str | None]:
    """The `impression` ensemble's inputs for one case (run_cases.py's)."""
    return {
        "report_text": report_text(case),
        "exam": optional(case.get("exam")),
        "patient_sex": optional(case.get("sex")),
        "patient_age": optional(case.get("age")),
    }


def check_inputs(case: Mapping[str, Any]) -> dict[str, str | None]:
    """The `report_check` model's inputs for one case: run_cases.py sends the report and the
    sex only (the exam is read from the report's own header, if any)."""
    return {"report_text": report_text(case), "patient_sex": optional(case.get("sex"))}


def _chunks(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def _failure(exc: BaseException) -> str:
    """A rejected case's reason: InvalidRequest messages name rules, never text; anything else
    is named by its type only (its message may quote the report)."""
    from python_models.request_fields import InvalidRequest

    if isinstance(exc, InvalidRequest):
        return str(exc)
    return f"internal error ({type(exc).__name__})"


# --------------------------------------------------------------------------- in process
class InProcessRunner:
    """The served pipeline, called the way the Triton models call it (loaded lazily: a
    report-check set needs no engine)."""

    def __init__(
        self,
        repository: Path,
        checkpoint: Path,
        threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        self.repository = repository
        self.checkpoint = checkpoint
        self.threads = threads
        self.batch_size = batch_size
        self._loaded: dict[str, Any] | None = None
        self.description = "served pipeline in process (not loaded yet)"

    def _param(self, model: str, defaults: dict[str, str]) -> dict[str, str]:
        from export.evaluate import config_parameters

        return config_parameters(self.repository / model / "config.pbtxt", defaults)

    def _tokenizer(self, model: str) -> Any:
        from python_models.tokenizer_loader import load_tokenizer

        folder = self._param(model, {"tokenizer_dir": "tokenizer"})["tokenizer_dir"]
        path = self.repository / model / "1" / folder
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `make artifacts`")
        return load_tokenizer(path)

    def _load(self) -> dict[str, Any]:
        if self._loaded is not None:
            return self._loaded
        from export.evaluate import (
            find_bundle,
            served_decoding,
            served_edits,
            served_max_input_tokens,
        )
        from python_models.engines import load_engine
        from python_models.postprocess import EDITS, Postprocessor
        from python_models.preprocess import Preprocessor
        from python_models.safety import checker_for_context
        from python_models.style import StyleService

        pre = self._param("preprocess", {"max_report_bytes": "131072"})
        gen = self._param("generator", {"precision": "fp32", "max_new_tokens": ""})
        decoding = served_decoding(self.repository / "generator" / "config.pbtxt")
        edits = served_edits(self.repository)
        bundle, note = find_bundle(self.checkpoint, self.repository, export_missing=False)
        if bundle is None:
            raise SystemExit(f"no generator bundle: {note}")
        engine = load_engine(
            "onnxruntime",
            bundle,
            precision=gen["precision"],
            num_threads=self.threads,
            num_beams=decoding.num_beams,
            num_candidates=decoding.num_candidates,
        )
        post_tokenizer = self._tokenizer("postprocess")
        self._loaded = {
            "pre": Preprocessor(
                self._tokenizer("preprocess"),
                max_input_tokens=served_max_input_tokens(self.repository),
                max_report_bytes=int(pre["max_report_bytes"]),
            ),
            "engine": engine,
            "max_new_tokens": int(gen["max_new_tokens"]) if gen["max_new_tokens"] else None,
            # no radiologist_id is sent: the service's default profile, no store needed
            "post": Postprocessor(post_tokenizer, StyleService(None), checker_for_context, **edits),
            "pad": engine.settings.pad_token_id,
            "eos": engine.settings.eos_token_id,
        }
        on = [label for name, (_, label) in EDITS.items() if edits.get(name)]
        self.description = (
            f"served pipeline in process: ORT {gen['precision']} ({note}), "
            f"{decoding.describe()}, edits: {', '.join(on) or 'none'}, default style profile, "
            f"{self.threads or 'default'} threads"
        )
        return self._loaded

    def _prepare(self, cases: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Preprocess results (PreparedReport or the exception that rejects the case); a bug in
        one report's preprocessing fails that report only, as in the Triton adapter."""
        from python_models.preprocess import RawReport

        pre = self._load()["pre"]
        raws = [RawReport(**impression_inputs(c)) for c in cases]
        try:
            return list(pre.prepare(raws))
        except Exception:  # noqa: BLE001 - retried one by one to find the failing report
            out: list[Any] = []
            for raw in raws:
                try:
                    out.extend(pre.prepare([raw]))
                except Exception as exc:  # noqa: BLE001 - recorded as this case's error
                    out.append(exc)
            return out

    def _generate(self, rows: list[list[int]]) -> list[list[int]]:
        """Candidates of each row joined by eos, as the generator model sends them on."""
        from python_models.candidates import join_candidates
        from python_models.engines.batching import pad_rows

        loaded = self._load()
        ids, mask = pad_rows(rows, loaded["pad"])
        found = loaded["engine"].generate_candidates(ids, mask, loaded["max_new_tokens"])
        return [join_candidates(c, loaded["eos"]) for c in found]

    def _finish(self, ids: list[list[int]], contexts: list[dict[str, Any]]) -> list[Answer]:
        """Postprocess a batch; the context travels as JSON, as between the Triton models."""
        from python_models.postprocess import validate_context

        post = self._load()["post"]
        batch = [
            (row, validate_context(json.loads(json.dumps(c))))
            for row, c in zip(ids, contexts, strict=True)
        ]
        return [Answer(f.impression, list(f.warnings)) for f in post.finish(batch)]

    def summarize(self, cases: Sequence[Mapping[str, Any]], progress: Progress) -> list[Answer]:
        from python_models.preprocess import PreparedReport

        self._load()
        prepared = self._prepare(cases)
        answers: list[Answer | None] = [
            None if isinstance(p, PreparedReport) else Answer(error=_failure(p)) for p in prepared
        ]
        todo = [i for i, p in enumerate(prepared) if isinstance(p, PreparedReport)]
        todo.sort(key=lambda i: len(prepared[i].input_ids))  # less padding per batch
        done = len(cases) - len(todo)
        for chunk in _chunks(len(todo), self.batch_size):
            idx = [todo[k] for k in chunk]
            try:
                rows = self._generate([prepared[i].input_ids for i in idx])
                finished = self._finish(rows, [prepared[i].context for i in idx])
            except Exception as exc:  # noqa: BLE001 - the batch's cases get the error
                finished = [Answer(error=_failure(exc))] * len(idx)
            for i, answer in zip(idx, finished, strict=True):
                answers[i] = answer
            done += len(idx)
            progress(done, len(cases))
        return [a if a is not None else Answer(error="no answer") for a in answers]

    def check(self, cases: Sequence[Mapping[str, Any]], progress: Progress) -> list[Answer]:
        from python_models.safety.report_check import ReportCheckRequest, check_report

        limit = int(self._param("report_check", {"max_report_bytes": "131072"})["max_report_bytes"])
        if self._loaded is None:
            self.description = "report_check in process (check_report, served max_report_bytes)"
        answers = []
        for n, case in enumerate(cases, 1):
            try:
                warnings = check_report(ReportCheckRequest(**check_inputs(case)), limit)
                answers.append(Answer(None, list(warnings)))
            except Exception as exc:  # noqa: BLE001 - recorded as this case's error
                answers.append(Answer(error=_failure(exc)))
            if n % 50 == 0 or n == len(cases):
                progress(n, len(cases))
        return answers


# --------------------------------------------------------------------------- remote
class RemoteRunner:
    """A running server, one request per case as run_cases.py sends them."""

    def __init__(self, url: str, protocol: str = "grpc", timeout_s: float = 120.0) -> None:
        if protocol == "http":
            import tritonclient.http as module

            self.client = module.InferenceServerClient(url, network_timeout=timeout_s)
        else:
            import tritonclient.grpc as module  # type: ignore[no-redef]

            self.client = module.InferenceServerClient(url)
        self.module = module
        self.description = f"server at {url} ({protocol})"

    def _infer(self, model: str, fields: Mapping[str, str | None], outputs: list[str]) -> Answer:
        import numpy as np

        tensors = []
        for name, value in fields.items():
            if value is None:
                continue
            tensor = self.module.InferInput(name, [1, 1], "BYTES")
            tensor.set_data_from_numpy(np.array([[value.encode("utf-8")]], dtype=object))
            tensors.append(tensor)
        try:
            result = self.client.infer(model, tensors)
            values = {name: result.as_numpy(name).reshape(-1)[0].decode() for name in outputs}
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, none stops the run
            # Triton's error text comes from our models, which never quote the report.
            return Answer(error=str(exc)[:300] or type(exc).__name__)
        return Answer(values.get("impression"), json.loads(values["warnings"]))

    def _run(
        self,
        model: str,
        cases: Sequence[Mapping[str, Any]],
        fields: Callable[[Mapping[str, Any]], Mapping[str, str | None]],
        outputs: list[str],
        progress: Progress,
    ) -> list[Answer]:
        answers = []
        for n, case in enumerate(cases, 1):
            answers.append(self._infer(model, fields(case), outputs))
            if n % 50 == 0 or n == len(cases):
                progress(n, len(cases))
        return answers

    def summarize(self, cases: Sequence[Mapping[str, Any]], progress: Progress) -> list[Answer]:
        return self._run(
            "impression", cases, impression_inputs, ["impression", "warnings"], progress
        )

    def check(self, cases: Sequence[Mapping[str, Any]], progress: Progress) -> list[Answer]:
        return self._run("report_check", cases, check_inputs, ["warnings"], progress)


def stderr_progress(label: str) -> Progress:
    """Counts and rate on stderr, at most every few seconds (no text, ids or scores)."""
    started = time.perf_counter()
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - last[0] < 5:
            return
        last[0] = now
        rate = done / max(now - started, 1e-9)
        print(f"  {label}: {done}/{total} ({rate:.1f}/s)", file=sys.stderr, flush=True)

    return report
