"""Triton adapter for `postprocess`: ids + context in, impression + warnings out.

All logic lives in `python_models.postprocess`, `.style` and `.safety`.
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

from python_models.model_config import boolean, parameter, resolve_in_version
from python_models.postprocess import (
    EDITS,
    Finished,
    Postprocessor,
    validate_context,
    validate_ids,
)
from python_models.request_fields import InvalidRequest
from python_models.safety import checker_for_context
from python_models.style import StyleService
from python_models.tokenizer_loader import load_tokenizer
from python_models.triton_io import (
    bytes_tensor,
    id_rows,
    parse_json,
    request_error_message,
    string_rows,
)
from python_models.warning_metrics import counter_for


def _input(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


class TritonPythonModel:
    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        tokenizer_dir = resolve_in_version(
            args, parameter(config, "tokenizer_dir", str, "tokenizer")
        )
        store_url = parameter(config, "style_store_url", str, "") or None
        tokenizer = load_tokenizer(tokenizer_dir)
        self.vocab_size = len(tokenizer)
        self.eos_id, self.pad_id = tokenizer.eos_token_id, tokenizer.pad_token_id
        edits = {name: parameter(config, key, boolean, True) for name, (key, _) in EDITS.items()}
        self.postprocessor = Postprocessor(
            tokenizer, StyleService(store_url), checker_for_context, **edits
        )
        self.logger = pb_utils.Logger
        self.warning_metrics = counter_for(pb_utils, args)

    def _unpack(self, request) -> list[tuple[list[int], dict]] | InvalidRequest:
        try:
            ids = id_rows(_input(request, "OUTPUT_IDS"), "OUTPUT_IDS")
            contexts = [
                validate_context(parse_json(raw, "CONTEXT"))
                for raw in string_rows(_input(request, "CONTEXT"), "CONTEXT", len(ids))
            ]
            return [
                (validate_ids(row.tolist(), self.vocab_size, self.eos_id, self.pad_id), ctx)
                for row, ctx in zip(ids, contexts, strict=True)
            ]
        except InvalidRequest as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a malformed request fails alone
            return InvalidRequest(f"request could not be read: {type(exc).__name__}")

    def _finish(self, unpacked: list) -> list[list[Finished] | Exception]:
        """Finish every valid request in one batch; if the batch fails, isolate per request."""
        flat = [row for rows in unpacked if isinstance(rows, list) for row in rows]
        try:
            finished = iter(self.postprocessor.finish(flat) if flat else [])
            return [
                rows if isinstance(rows, Exception) else [next(finished) for _ in rows]
                for rows in unpacked
            ]
        except Exception as exc:  # noqa: BLE001
            self.logger.log_error(f"postprocess batch failed: {type(exc).__name__}; isolating")
        results: list[list[Finished] | Exception] = []
        for rows in unpacked:
            if isinstance(rows, Exception):
                results.append(rows)
                continue
            try:
                results.append(self.postprocessor.finish(rows))
            except Exception as exc:  # noqa: BLE001
                results.append(RuntimeError(f"postprocess failed: {type(exc).__name__}"))
        return results

    def execute(self, requests):
        started = time.perf_counter()
        results = self._finish([self._unpack(r) for r in requests])
        responses, codes, later = [], [], 0
        for result in results:
            if isinstance(result, Exception):
                code = (
                    pb_utils.TritonError.INVALID_ARG
                    if isinstance(result, InvalidRequest)
                    else pb_utils.TritonError.INTERNAL
                )
                responses.append(
                    pb_utils.InferenceResponse(
                        error=pb_utils.TritonError(
                            request_error_message([(0, str(result))], 1), code
                        )
                    )
                )
                continue
            codes += [w["code"] for r in result for w in r.warnings]
            later += sum(r.candidate > 0 for r in result)
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[
                        pb_utils.Tensor("IMPRESSION", bytes_tensor([r.impression for r in result])),
                        pb_utils.Tensor(
                            "WARNINGS", bytes_tensor([json.dumps(r.warnings) for r in result])
                        ),
                    ]
                )
            )
        known = sorted({c for c in codes if c.isupper() and len(c) <= 32})
        try:  # a metrics failure must not cost the answers
            self.warning_metrics.count(codes)
        except Exception as exc:  # noqa: BLE001
            self.logger.log_warn(f"warning metrics not updated: {type(exc).__name__}")
        self.logger.log_verbose(
            f"postprocess requests={len(requests)} warning_codes={known} "
            f"later_candidate_kept={later} "
            f"ms={(time.perf_counter() - started) * 1000:.1f}"
        )
        return responses

    def finalize(self) -> None:
        self.postprocessor = None
        self.warning_metrics.close()
