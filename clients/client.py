"""A small typed client for the `impression` ensemble (HTTP or gRPC, synchronous).

It hides the tensor plumbing every caller would otherwise repeat: strings go in as `[B, 1]`
BYTES, the optional context inputs are sent only when given, `warnings` comes back parsed, and
Triton's errors become exceptions that say what to do (fix the report, or retry later).
The asyncio gRPC variant for bulk work lives in `clients.client_grpc_aio`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from tritonclient.utils import InferenceServerException

MODEL_NAME = "impression"
DEFAULT_HTTP_URL = "127.0.0.1:8000"
DEFAULT_GRPC_URL = "127.0.0.1:8001"
OPTIONAL_INPUTS = ("radiologist_id", "exam", "patient_sex", "patient_age")
Protocol = Literal["http", "grpc"]


@dataclass(frozen=True)
class Report:
    """One report to summarize with its optional context (all strings, as the ensemble takes)."""

    report_text: str
    radiologist_id: str | None = None
    exam: str | None = None
    patient_sex: str | None = None
    patient_age: str | None = None

    def __repr__(self) -> str:  # the text is PHI: never let it reach a log through repr()
        return f"Report(<{len(self.report_text)} chars>)"


@dataclass(frozen=True)
class Impression:
    """The server's answer for one report."""

    impression: str
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """True when a safety check says the impression must not be used as is."""
        return any(w.get("severity") == "block" for w in self.warnings)

    def __repr__(self) -> str:
        codes = [w.get("code") for w in self.warnings]
        return f"Impression(<{len(self.impression)} chars>, warnings={codes})"


# ---------------------------------------------------------------------------------------------
# Errors


class ImpressionsError(RuntimeError):
    """A request failed. `status` is the transport's code (e.g. `StatusCode.INVALID_ARGUMENT`,
    `400`); `retryable` says whether sending the same request again later can succeed."""

    retryable = False

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"[{self.status}] {self.message}" if self.status else self.message


class InvalidReportError(ImpressionsError):
    """The server rejected the request itself (empty report, bad age, ...): do not retry."""


class ServerBusyError(ImpressionsError):
    """The server is overloaded (a model's queue is full) or briefly unavailable: retry later."""

    retryable = True


class ServerUnreachableError(ImpressionsError):
    """No server answered at the URL (not started, wrong port, or restarting)."""

    retryable = True


class RequestTimeoutError(ImpressionsError):
    """The client's deadline passed before the answer came."""

    retryable = True


class ModelNotReadyError(ImpressionsError):
    """The server is up but the `impression` model is not loaded or not ready."""

    retryable = True


_QUEUE_FULL = "exceeds maximum queue size"
_UNREACHABLE = (
    "failed to connect",
    "connection refused",
    "connect failed",
    "name resolution",
    "failed to establish",
    "errno 111",
    "socket closed",
)


def classify_error(exc: InferenceServerException) -> ImpressionsError:
    """Map a tritonclient exception (gRPC `StatusCode.X` or HTTP numeric status) to ours."""
    message = exc.message() or str(exc)
    status = exc.status()
    code = (status or "").upper().replace("STATUSCODE.", "")
    lower = message.lower()
    if _QUEUE_FULL in lower:
        return ServerBusyError(message, status)
    if "unknown model" in lower or "is not ready" in lower:
        return ModelNotReadyError(message, status)
    if code in {"INVALID_ARGUMENT", "400"}:
        return InvalidReportError(message, status)
    if code in {"DEADLINE_EXCEEDED", "504"} or "deadline exceeded" in lower:
        return RequestTimeoutError(message, status)
    if code == "UNAVAILABLE" and any(s in lower for s in _UNREACHABLE):
        return ServerUnreachableError(message, status)
    if code in {"UNAVAILABLE", "RESOURCE_EXHAUSTED", "503", "429"}:
        return ServerBusyError(message, status)
    if code in {"NOT_FOUND", "404"}:
        return ModelNotReadyError(message, status)
    if status is None and any(s in lower for s in _UNREACHABLE):
        return ServerUnreachableError(message, status)
    return ImpressionsError(message, status)


def error_record(exc: BaseException) -> dict[str, Any]:
    """A JSON-able description of a failure for output files (type, status, message)."""
    if isinstance(exc, ImpressionsError):
        return {"type": type(exc).__name__, "status": exc.status, "message": exc.message}
    return {"type": type(exc).__name__, "status": None, "message": str(exc)}


# ---------------------------------------------------------------------------------------------
# Tensors


def _bytes_column(values: Sequence[str | None]) -> np.ndarray:
    return np.array([(v or "").encode("utf-8") for v in values], dtype=np.object_).reshape(-1, 1)


def request_columns(reports: Sequence[Report]) -> dict[str, np.ndarray]:
    """The `[B, 1]` BYTES arrays to send for a client-side batch.

    An optional input is sent only if some report has it; rows without it get "" (which the
    server treats as "not given"), because one tensor must cover the whole batch.
    """
    if not reports:
        raise ValueError("at least one report is needed")
    columns = {"report_text": _bytes_column([r.report_text for r in reports])}
    for name in OPTIONAL_INPUTS:
        values = [getattr(r, name) for r in reports]
        if any(v is not None and v != "" for v in values):
            columns[name] = _bytes_column(values)
    return columns


def build_inputs(module: Any, reports: Sequence[Report]) -> list[Any]:
    """`InferInput`s of `module` (tritonclient.http, .grpc or .grpc.aio) for these reports."""
    inputs: list[Any] = []
    for name, data in request_columns(reports).items():
        tensor = module.InferInput(name, list(data.shape), "BYTES")
        tensor.set_data_from_numpy(data)
        inputs.append(tensor)
    return inputs


def parse_result(result: Any, expected_rows: int | None = None) -> list[Impression]:
    """Decode `impression` and the JSON `warnings` of an InferResult into Impressions."""
    texts = result.as_numpy("impression")
    warnings = result.as_numpy("warnings")
    if texts is None or warnings is None:
        raise ImpressionsError("response lacks the impression or warnings output")
    texts, warnings = texts.reshape(-1), warnings.reshape(-1)
    if len(texts) != len(warnings) or (expected_rows is not None and len(texts) != expected_rows):
        raise ImpressionsError(
            f"response has {len(texts)} impressions and {len(warnings)} warnings "
            f"for {expected_rows} reports"
        )
    out: list[Impression] = []
    for text, raw in zip(texts, warnings, strict=True):
        try:
            parsed = json.loads(raw)
        except (ValueError, TypeError):
            raise ImpressionsError("warnings output is not valid JSON") from None
        if not isinstance(parsed, list):
            raise ImpressionsError("warnings output is not a JSON list")
        decoded = text.decode("utf-8") if isinstance(text, bytes) else str(text)
        out.append(Impression(decoded, parsed))
    return out


def as_report(report: Report | str) -> Report:
    return report if isinstance(report, Report) else Report(report)


# ---------------------------------------------------------------------------------------------
# Synchronous client


class ImpressionsClient:
    """Blocking client over HTTP or gRPC; one instance may be reused for many calls.

    >>> with ImpressionsClient("127.0.0.1:8001", protocol="grpc") as client:
    ...     answer = client.summarize(Report(text, exam="CT chest"))
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        protocol: Protocol = "grpc",
        timeout_s: float = 300.0,
        model: str = MODEL_NAME,
    ) -> None:
        if protocol not in ("http", "grpc"):
            raise ValueError(f"protocol must be 'http' or 'grpc', not {protocol!r}")
        self.protocol: Protocol = protocol
        self.url = url or (DEFAULT_HTTP_URL if protocol == "http" else DEFAULT_GRPC_URL)
        self.timeout_s = timeout_s
        self.model = model
        if protocol == "http":
            import tritonclient.http as module

            self._client = module.InferenceServerClient(
                self.url, connection_timeout=timeout_s, network_timeout=timeout_s
            )
        else:
            import tritonclient.grpc as module

            self._client = module.InferenceServerClient(self.url)
        self._module = module

    def summarize(self, report: Report | str) -> Impression:
        """The impression for one report (a plain string is a report without context)."""
        return self.summarize_batch([as_report(report)])[0]

    def summarize_batch(self, reports: Sequence[Report]) -> list[Impression]:
        """One request with B rows. A bad row fails the whole request with InvalidReportError."""
        inputs = build_inputs(self._module, reports)
        try:
            if self.protocol == "grpc":
                result = self._client.infer(self.model, inputs, client_timeout=self.timeout_s)
            else:
                result = self._client.infer(self.model, inputs)
        except InferenceServerException as exc:
            raise classify_error(exc) from None
        except OSError as exc:  # HTTP: geventhttpclient raises socket errors as they are
            raise ServerUnreachableError(f"{self.url}: {exc}") from None
        return parse_result(result, expected_rows=len(reports))

    def is_ready(self) -> bool:
        """True when the server is reachable and the ensemble is ready."""
        try:
            return bool(self._client.is_server_ready() and self._client.is_model_ready(self.model))
        except (InferenceServerException, ConnectionError, OSError):
            return False

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ImpressionsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
