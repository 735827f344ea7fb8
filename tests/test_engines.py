"""Engine selection, clear failures, and that batching never changes a row's tokens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from python_models.engines import EngineError, load_engine
from python_models.engines.base import strip_generated
from python_models.engines.batching import check_request, merge, split
from python_models.request_fields import InvalidRequest
from tests.export_helpers import encode
from tests.test_export_parity import TEXTS, build_tiny_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = build_tiny_bundle(tmp_path_factory.mktemp("engines"), precisions=("fp32",))
    return repo / "generator" / "1"


def test_unknown_engine_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="onnxruntime, torch, tensorrt"):
        load_engine("vllm", tmp_path)


def test_tensorrt_missing_gives_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # import tensorrt -> ImportError
    with pytest.raises(EngineError, match="TensorRT is not installed; use engine=onnxruntime"):
        load_engine("tensorrt", tmp_path)


def test_missing_bundle_says_to_export(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="impressions export"):
        load_engine("onnxruntime", tmp_path)


def test_missing_precision_file_names_it(bundle: Path) -> None:
    with pytest.raises(EngineError, match="model.int8.onnx"):
        load_engine("onnxruntime", bundle, precision="int8")


def test_batch_equals_one_by_one(bundle: Path) -> None:
    ids, mask = encode(bundle / "tokenizer", TEXTS)
    engine = load_engine("onnxruntime", bundle, num_threads=1)
    batched = engine.generate(ids, mask, 16)
    singles = []
    for row, row_mask in zip(ids, mask, strict=True):
        length = int(row_mask.sum())
        singles += engine.generate(row[None, :length], row_mask[None, :length], 16)
    assert batched == singles


def test_requests_merge_and_split_back(bundle: Path) -> None:
    """Two requests of different widths share one engine call; each gets its own rows back."""
    ids, mask = encode(bundle / "tokenizer", TEXTS[:3])
    first = check_request(ids[:1, : int(mask[0].sum())], mask[:1, : int(mask[0].sum())], 10_000)
    second = check_request(ids[1:], mask[1:], 10_000)
    merged_ids, merged_mask = merge([first, second], pad_id=0)
    assert merged_ids.shape == (3, ids.shape[1])
    engine = load_engine("onnxruntime", bundle, num_threads=1)
    out = split(engine.generate(merged_ids, merged_mask, 8), [first, second], pad_id=0)
    assert [a.shape[0] for a in out] == [1, 2]
    expected = engine.generate(ids, mask, 8)
    assert [t for t in out[1][1].tolist()][: len(expected[2])] == expected[2]


@pytest.mark.parametrize(
    ("ids", "mask", "message"),
    [
        (None, None, "required"),
        (np.ones((2, 3)), np.ones((2, 4)), "same shape"),
        (np.ones((1, 0)), np.ones((1, 0)), "empty"),
        (np.array([[5, 500]]), np.ones((1, 2)), r"\[0, 100\)"),
        (np.array([[5, 6]]), np.array([[1, 2]]), "only 0 and 1"),
        (np.array([[5, 6], [7, 8]]), np.array([[1, 1], [0, 0]]), "row 1"),
    ],
)
def test_bad_requests_are_rejected_alone(ids, mask, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check_request(ids, mask, vocab_size=100)


def test_strip_cuts_at_first_eos_only() -> None:
    assert strip_generated([[5, 0, 7, 1, 1], [1, 2], [3, 4]], eos_token_id=1) == [
        [5, 0, 7],
        [],
        [3, 4],
    ]


def test_onnxruntime_path_does_not_import_torch(bundle: Path) -> None:
    code = (
        "import sys, numpy as np\n"
        "from python_models.engines import load_engine\n"
        f"e = load_engine('onnxruntime', {str(bundle)!r})\n"
        "e.generate(np.array([[5, 6, 1]]), np.ones((1, 3), dtype=np.int64), 4)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"
