"""TensorRT engine: the interface is kept open; the implementation needs a TensorRT install.

How it would work (NGC tritonserver image, GPU): `impressions export` writes the encoder and the
decoder-with-past as separate ONNX graphs; `trtexec --onnx=... --saveEngine=encoder.plan`
(and decoder.plan) with optimisation profiles for batch 1..16 and input length 1..512 builds
engines into the bundle; this class would then run the encoder once and the decoder step by
step with a KV cache kept in device buffers (greedy argmax on the GPU), matching the
ONNX Runtime engine token for token. TensorRT wants int32 ids: the model reads dtypes from
the engine bindings rather than hard-coding them. Not buildable here (no GPU, no TensorRT).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from python_models.engines.base import CandidateDecoder, EngineError

NOT_INSTALLED = "TensorRT is not installed; use engine=onnxruntime"


class TensorRTEngine(CandidateDecoder):
    """Fails at construction with a clear message until the TensorRT path is implemented."""

    name = "tensorrt"

    def __init__(
        self,
        bundle_dir: Path,
        *,
        precision: str = "fp32",
        device: str = "gpu",
        num_threads: int | None = None,
        num_beams: int = 1,
        num_candidates: int = 1,
    ) -> None:
        try:
            import tensorrt  # noqa: F401
        except ImportError as exc:
            raise EngineError(NOT_INSTALLED) from exc
        raise EngineError(
            "the TensorRT engine is not implemented yet (no TensorRT to build it against); "
            "use engine=onnxruntime"
        )

    def _decode(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None,
        min_new_tokens: int,
    ) -> list[list[list[int]]]:
        raise EngineError(NOT_INSTALLED)
