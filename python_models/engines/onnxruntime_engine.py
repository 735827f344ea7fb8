"""ONNX Runtime engine: the whole decode is one `session.run` of the exported BeamSearch-op graph
(num_beams=1 is greedy; more beams are a run-time input of the same graph), so there is no
Python work per generated token."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from python_models.engines.base import (
    PRECISION_FILES,
    CandidateDecoder,
    EngineError,
    GenerationSettings,
    check_batch,
    resolve_max_new_tokens,
    strip_generated,
)

log = logging.getLogger(__name__)


def choose_providers(device: str) -> list[str]:
    """CUDA when asked for and built in; otherwise CPU (with a warning if GPU was asked)."""
    import onnxruntime as ort

    if device == "gpu":
        if "CUDAExecutionProvider" in ort.get_available_providers():
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]
        log.warning("device=gpu but this onnxruntime has no CUDAExecutionProvider; using CPU")
    return ["CPUExecutionProvider"]


class OnnxRuntimeEngine(CandidateDecoder):
    """Runs model.onnx (fp32) or model.int8.onnx from the generator bundle."""

    name = "onnxruntime"

    def __init__(
        self,
        bundle_dir: Path,
        *,
        precision: str = "fp32",
        device: str = "cpu",
        num_threads: int | None = None,
        num_beams: int = 1,
        num_candidates: int = 1,
    ) -> None:
        import onnxruntime as ort

        self.settings = GenerationSettings.load(bundle_dir)
        path = Path(bundle_dir) / PRECISION_FILES[precision]
        if not path.exists():
            raise EngineError(
                f"{path} is missing: run `impressions export --precision {precision}`"
            )
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        if num_threads:
            options.intra_op_num_threads = num_threads
        self.providers = choose_providers(device)
        self.session = ort.InferenceSession(str(path), options, providers=self.providers)
        self.precision = precision
        self._fixed = {
            "num_beams": np.array([num_beams], np.int32),
            "num_return_sequences": np.array([num_candidates], np.int32),
            "length_penalty": np.array([1.0], np.float32),
            "repetition_penalty": np.array([1.0], np.float32),
        }

    def _decode(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None,
        min_new_tokens: int,
    ) -> list[list[list[int]]]:
        input_ids = np.asarray(input_ids)
        attention_mask = np.asarray(attention_mask)
        check_batch(input_ids, attention_mask)
        if input_ids.min() < 0 or input_ids.max() >= self.settings.vocab_size:
            raise ValueError(f"token ids must lie in [0, {self.settings.vocab_size})")
        if not attention_mask.any(axis=1).all():
            raise ValueError("every row needs at least one attended token")
        new_tokens = resolve_max_new_tokens(max_new_tokens, self.settings)
        min_new = min(max(int(min_new_tokens), 0), new_tokens)
        # max_length/min_length count the decoder start token the graph puts first.
        feeds = {
            "input_ids": np.ascontiguousarray(input_ids, dtype=np.int32),
            "attention_mask": np.ascontiguousarray(attention_mask, dtype=np.int32),
            "max_length": np.array([new_tokens + 1], np.int32),
            "min_length": np.array([min_new + 1 if min_new else 0], np.int32),
            **self._fixed,
        }
        (sequences,) = self.session.run(None, feeds)  # [batch, num_candidates, length]
        eos = self.settings.eos_token_id
        return [strip_generated(row[:, 1:].tolist(), eos) for row in sequences]
