"""Triton adapter for `preprocess`: BYTES tensors in, ids + JSON context out.

All logic lives in `python_models.preprocess`; this file only moves tensors and errors. Every
row of every request in the batch is tokenized in one call; a request with a bad row gets an
INVALID_ARG error naming the row, and the other requests are answered normally.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import triton_python_backend_utils as pb_utils

try:
    import python_models  # noqa: F401
except ImportError:  # not pip-installed: fall back to the checkout that holds this repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from python_models.model_config import parameter, resolve_in_version
from python_models.preprocess import (
    DEFAULT_MAX_INPUT_TOKENS,
    DEFAULT_MAX_REPORT_BYTES,
    PreparedReport,
    Preprocessor,
    RawReport,
)
from python_models.request_fields import InvalidRequest
from python_models.tokenizer_loader import load_tokenizer
from python_models.triton_io import json_tensor, pad_rows, request_error_message, string_rows

_OPTIONAL = ("RADIOLOGIST_ID", "EXAM", "PATIENT_SEX", "PATIENT_AGE")


def _input(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


def _rows(request) -> list[RawReport]:
    texts = string_rows(_input(request, "REPORT_TEXT"), "report_text")
    optional = [string_rows(_input(request, n), n.lower(), len(texts)) for n in _OPTIONAL]
    return [RawReport(text, *values) for text, *values in zip(texts, *optional, strict=True)]


class TritonPythonModel:
    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        tokenizer_dir = resolve_in_version(
            args, parameter(config, "tokenizer_dir", str, "tokenizer")
        )
        tokenizer = load_tokenizer(tokenizer_dir)
        self.pad_id = int(tokenizer.pad_token_id or 0)
        self.preprocessor = Preprocessor(
            tokenizer,
            max_input_tokens=parameter(
                config, "max_input_tokens", int, DEFAULT_MAX_INPUT_TOKENS, minimum=8
            ),
            max_report_bytes=parameter(
                config, "max_report_bytes", int, DEFAULT_MAX_REPORT_BYTES, minimum=1
            ),
        )
        self.ids_dtype = pb_utils.triton_string_to_numpy(
            pb_utils.get_output_config_by_name(config, "INPUT_IDS")["data_type"]
        )
        self.logger = pb_utils.Logger

    def execute(self, requests):
        started = time.perf_counter()
        per_request: list[list[RawReport] | InvalidRequest] = []
        for request in requests:
            try:
                per_request.append(_rows(request))
            except InvalidRequest as exc:
                per_request.append(exc)
            except Exception as exc:  # noqa: BLE001 - a malformed request fails alone
                per_request.append(
                    InvalidRequest(f"request could not be read: {type(exc).__name__}")
                )
        flat = [row for rows in per_request if isinstance(rows, list) for row in rows]
        try:
            prepared = iter(self.preprocessor.prepare(flat) if flat else [])
        except Exception as exc:  # noqa: BLE001 - isolate: prepare each request on its own
            self.logger.log_error(f"preprocess batch failed: {type(exc).__name__}; isolating")
            prepared = iter(self._prepare_isolated(per_request))
        responses, failed = [], 0
        for rows in per_request:
            if isinstance(rows, InvalidRequest):
                results: list = [rows]
                errors = [(0, str(rows))]
            else:
                results = [next(prepared) for _ in rows]
                errors = [
                    (i, str(r)) for i, r in enumerate(results) if not isinstance(r, PreparedReport)
                ]
            if errors:
                failed += 1
                message = request_error_message(errors, len(results))
                responses.append(
                    pb_utils.InferenceResponse(
                        error=pb_utils.TritonError(message, pb_utils.TritonError.INVALID_ARG)
                    )
                )
                continue
            ids = pad_rows([r.input_ids for r in results], self.pad_id, self.ids_dtype)
            mask = pad_rows([[1] * len(r.input_ids) for r in results], 0, self.ids_dtype)
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[
                        pb_utils.Tensor("INPUT_IDS", ids),
                        pb_utils.Tensor("ATTENTION_MASK", mask),
                        pb_utils.Tensor("CONTEXT", json_tensor([r.context for r in results])),
                    ]
                )
            )
        self.logger.log_verbose(
            f"preprocess requests={len(requests)} rows={len(flat)} failed_requests={failed} "
            f"ms={(time.perf_counter() - started) * 1000:.1f}"
        )
        return responses

    def _prepare_isolated(self, per_request: list) -> list:
        """Prepare request by request so an unexpected failure stays with its request."""
        out: list = []
        for rows in per_request:
            if isinstance(rows, InvalidRequest):
                continue
            try:
                out += self.preprocessor.prepare(rows)
            except Exception as exc:  # noqa: BLE001
                out += [
                    InvalidRequest(f"report could not be prepared: {type(exc).__name__}")
                    for _ in rows
                ]
        return out

    def finalize(self) -> None:
        self.preprocessor = None
