"""Triton adapter for `generator`: INPUT_IDS/ATTENTION_MASK in, OUTPUT_IDS out.

The engine (python_models.engines) is loaded once in initialize. execute checks each request on
its own (a bad one gets INVALID_ARG, the others are still answered), pads all good rows into ONE
batch, calls the engine once and splits the result. Only counts, sizes and timings are logged.
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

from python_models.candidates import check_separator, join_candidates
from python_models.engines import ENGINES, MAX_BEAMS, PRECISIONS, load_engine
from python_models.engines.batching import RequestRows, check_request, merge, split
from python_models.model_config import parameter, version_path
from python_models.request_fields import InvalidRequest


def _input(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


def _error(message: str):
    return pb_utils.InferenceResponse(
        error=pb_utils.TritonError(message, pb_utils.TritonError.INVALID_ARG)
    )


class TritonPythonModel:
    def initialize(self, args: dict[str, str]) -> None:
        config = json.loads(args["model_config"])
        engine_name = parameter(config, "engine", str, "onnxruntime", choices=ENGINES)
        precision = parameter(config, "precision", str, "fp32", choices=PRECISIONS)
        max_new_tokens = parameter(config, "max_new_tokens", int, 0, minimum=0)
        num_threads = parameter(config, "num_threads", int, 0, minimum=0)
        num_beams = parameter(config, "num_beams", int, 1, choices=range(1, MAX_BEAMS + 1))
        self.num_candidates = parameter(
            config, "num_candidates", int, 1, choices=range(1, num_beams + 1)
        )
        self.max_input_tokens = parameter(config, "max_input_tokens", int, 512, minimum=8)
        device = "gpu" if args.get("model_instance_kind") == "GPU" else "cpu"
        started = time.perf_counter()
        self.engine = load_engine(
            engine_name,
            version_path(args),
            precision=precision,
            device=device,
            num_threads=num_threads or None,
            num_beams=num_beams,
            num_candidates=self.num_candidates,
        )
        self.settings = self.engine.settings
        if self.num_candidates > 1:  # postprocess splits candidates on its tokenizer's eos
            from python_models.tokenizer_loader import load_tokenizer

            tokenizer = load_tokenizer(version_path(args) / "tokenizer")
            check_separator(tokenizer.eos_token_id, self.settings.eos_token_id)
        self.max_new_tokens = max_new_tokens or self.settings.max_new_tokens
        self.output_dtype = pb_utils.triton_string_to_numpy(
            pb_utils.get_output_config_by_name(config, "OUTPUT_IDS")["data_type"]
        )
        self.logger = pb_utils.Logger
        self.logger.log_info(
            f"generator engine={engine_name} precision={precision} device={device} "
            f"max_new_tokens={self.max_new_tokens} num_beams={num_beams} "
            f"num_candidates={self.num_candidates} "
            f"threads={num_threads or 'default'} "
            f"load_ms={(time.perf_counter() - started) * 1000:.0f}"
        )

    def _generate(self, ids, mask) -> list[list[int]]:
        """One id row per input row: the best sequence, or the n best joined by eos (see
        python_models.candidates) when num_candidates > 1."""
        if self.num_candidates == 1:
            return self.engine.generate(ids, mask, self.max_new_tokens)
        eos = self.settings.eos_token_id
        return [
            join_candidates(candidates, eos)
            for candidates in self.engine.generate_candidates(ids, mask, self.max_new_tokens)
        ]

    def execute(self, requests):
        started = time.perf_counter()
        checked: list[RequestRows | InvalidRequest] = []
        for request in requests:
            try:
                checked.append(
                    check_request(
                        _input(request, "INPUT_IDS"),
                        _input(request, "ATTENTION_MASK"),
                        self.settings.vocab_size,
                        self.max_input_tokens,
                    )
                )
            except InvalidRequest as exc:
                checked.append(exc)
            except Exception as exc:  # noqa: BLE001 - never let one request fail the batch
                checked.append(InvalidRequest(f"request could not be read: {type(exc).__name__}"))
        good = [c for c in checked if isinstance(c, RequestRows)]
        outputs: list = []
        rows = width = 0
        if good:
            ids, mask = merge(good, self.settings.pad_token_id)
            rows, width = ids.shape
            try:
                generated = self._generate(ids, mask)
                outputs = split(generated, good, self.settings.pad_token_id, self.output_dtype)
            except Exception as exc:  # the engine failed for the whole batch: answer each
                self.logger.log_error(f"generator engine error {type(exc).__name__}")
                error = pb_utils.TritonError(f"generation failed: {type(exc).__name__}")
                return [pb_utils.InferenceResponse(error=error) for _ in requests]
        answers = iter(outputs)
        responses = []
        for item in checked:
            if isinstance(item, InvalidRequest):
                responses.append(_error(str(item)))
            else:
                tensor = pb_utils.Tensor("OUTPUT_IDS", next(answers))
                responses.append(pb_utils.InferenceResponse(output_tensors=[tensor]))
        self.logger.log_verbose(
            f"generator requests={len(requests)} rejected={len(requests) - len(good)} "
            f"rows={rows} width={width} ms={(time.perf_counter() - started) * 1000:.1f}"
        )
        return responses

    def finalize(self) -> None:
        self.engine = None
