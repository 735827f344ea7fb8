"""Dynamic int8 quantization of the exported encoder/decoder graphs.

Quantized before they are wrapped in the BeamSearch op: the quantizer works on plain graphs,
not on graphs nested in a node's attributes. Only MatMul/Gemm with constant weights are
quantized (activations x activations in attention stay fp32), and embeddings (Gather) stay fp32.
"""

from __future__ import annotations

import logging
from pathlib import Path


def quantize_int8(src: Path, dst: Path) -> Path:
    """Write a weight-int8, activation-dynamic copy of the ONNX model at src to dst."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer logs a "consider pre-processing" hint on the root logger on every call.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            op_types_to_quantize=["MatMul", "Gemm"],
            weight_type=QuantType.QInt8,
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        root.setLevel(level)
    return dst
