"""Triton adapter for `report_check`: a full report in, its safety warnings (JSON) out.

All logic lives in `python_models.safety.report_check`; this file only moves tensors and errors.
Each request is checked on its own: a bad one gets an INVALID_ARG error, the others in the batch
are answered normally. An unexpected exception (a bug) answers only the requests it hit, with an
INTERNAL error that names the exception type and never its text (which may quote the report).
Logs carry counts, sizes and warning codes, never report text.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

import triton_python_backend_utils as pb_utils

try:
    import python_models  # noqa: F401
except ImportError:  # not pip-installed: fall back to the checkout that holds this repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from python_models.model_config import parameter
from python_models.request_fields import InvalidRequest
from python_models.safety.report_check import (
    DEFAULT_MAX_REPORT_BYTES,
    ReportCheckRequest,
    check_report,
)
from python_models.triton_io import json_tensor, request_error_message, string_rows
from python_models.warning_metrics import counter_for

_OPTIONAL = ("exam", "patient_sex", "patient_age")


def _input(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


def _rows(request) -> list[ReportCheckRequest]:
    texts = string_rows(_input(request, "report_text"), "report_text")
    optional = [string_rows(_input(request, n), n, len(texts)) for n in _OPTIONAL]
    return [ReportCheckRequest(t, *values) for t, *values in zip(texts, *optional, strict=True)]


def _size(row: ReportCheckRequest) -> int:
    raw = row.report_text
    return len(raw) if isinstance(raw, (bytes, str)) else 0


def _internal_message(exc: BaseException) -> str:
    """Names the exception type only: its text may quote the report (PHI)."""
    return f"internal error in report checks ({type(exc).__name__})"


def _error(message: str, code=None):
    """An error response; INVALID_ARG unless ``code`` says otherwise."""
    if code is None:
        code = pb_utils.TritonError.INVALID_ARG
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, code))


class TritonPythonModel:
    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        self.max_report_bytes = parameter(
            config, "max_report_bytes", int, DEFAULT_MAX_REPORT_BYTES, minimum=1
        )
        self.logger = pb_utils.Logger
        self.warning_metrics = counter_for(pb_utils, args)

    def _respond(self, request, codes: Counter) -> tuple[object, int, bool]:
        """One response for one request, its report bytes, and whether it failed."""
        try:
            rows = _rows(request)
        except InvalidRequest as exc:
            return _error(str(exc)), 0, True
        results, errors, internal = [], [], False
        for i, row in enumerate(rows):
            try:
                warnings = check_report(row, self.max_report_bytes)
            except InvalidRequest as exc:
                errors.append((i, str(exc)))
                continue
            except Exception as exc:  # a bug must not leak text or kill the batch
                errors.append((i, _internal_message(exc)))
                internal = True
                continue
            codes.update(w["code"] for w in warnings)
            results.append(warnings)
        size = sum(_size(r) for r in rows)
        if errors:
            code = pb_utils.TritonError.INTERNAL if internal else pb_utils.TritonError.INVALID_ARG
            return _error(request_error_message(errors, len(rows)), code), size, True
        response = pb_utils.InferenceResponse(
            output_tensors=[pb_utils.Tensor("warnings", json_tensor(results))]
        )
        return response, size, False

    def execute(self, requests):
        started = time.perf_counter()
        codes: Counter = Counter()
        responses, total_bytes, failed = [], 0, 0
        for request in requests:
            try:
                response, size, error = self._respond(request, codes)
            except Exception as exc:  # catch-all: answer this request, keep the others
                response, size, error = (
                    _error(_internal_message(exc), pb_utils.TritonError.INTERNAL),
                    0,
                    True,
                )
            total_bytes += size
            failed += int(error)
            responses.append(response)
        # A failed log line or metric update must not cost the answers already computed.
        with contextlib.suppress(Exception):
            self.warning_metrics.count(codes.elements())
        with contextlib.suppress(Exception):
            self.logger.log_verbose(
                f"report_check requests={len(requests)} failed_requests={failed} "
                f"bytes={total_bytes} codes={dict(sorted(codes.items()))} "
                f"ms={(time.perf_counter() - started) * 1000:.1f}"
            )
        return responses

    def finalize(self) -> None:
        self.logger = None
        self.warning_metrics.close()
