"""Generation engines behind one call: `load_engine(name, bundle_dir, ...)`.

Each engine lives in its own module, imported only when chosen, so the default ONNX Runtime
path never imports torch (fast, light stub start-up in Triton).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from python_models.engines.base import Engine, EngineError, GenerationSettings, strip_generated

# engine name -> (module, class)
ENGINES: dict[str, tuple[str, str]] = {
    "onnxruntime": ("python_models.engines.onnxruntime_engine", "OnnxRuntimeEngine"),
    "torch": ("python_models.engines.torch_engine", "TorchEngine"),
    "tensorrt": ("python_models.engines.tensorrt_engine", "TensorRTEngine"),
}
PRECISIONS = ("fp32", "int8")
DEVICES = ("cpu", "gpu")
MAX_BEAMS = 8

__all__ = [
    "DEVICES",
    "ENGINES",
    "MAX_BEAMS",
    "PRECISIONS",
    "Engine",
    "EngineError",
    "GenerationSettings",
    "load_engine",
    "strip_generated",
]


def load_engine(
    name: str,
    bundle_dir: str | Path,
    *,
    precision: str = "fp32",
    device: str = "cpu",
    num_threads: int | None = None,
    num_beams: int = 1,
    num_candidates: int = 1,
) -> Engine:
    """Build the named engine on the generator bundle (model_repository/generator/1).
    ``num_beams`` 1 is greedy decoding; more is beam search (slower, usually more faithful).
    ``num_candidates`` (1..num_beams): how many of the best beams `generate_candidates` returns."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; valid engines: {', '.join(ENGINES)}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; valid: {', '.join(DEVICES)}")
    if num_threads is not None and num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    if not 1 <= num_beams <= MAX_BEAMS:
        raise ValueError(f"num_beams must be in [1, {MAX_BEAMS}], got {num_beams}")
    if not 1 <= num_candidates <= num_beams:
        raise ValueError(
            f"num_candidates must be in [1, num_beams={num_beams}], got {num_candidates}"
        )
    module_name, class_name = ENGINES[name]
    engine_cls = getattr(importlib.import_module(module_name), class_name)
    return engine_cls(
        Path(bundle_dir),
        precision=precision,
        device=device,
        num_threads=num_threads,
        num_beams=num_beams,
        num_candidates=num_candidates,
    )
