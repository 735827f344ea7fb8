"""Export a tiny random T5 and check the ONNX engine against PyTorch `generate`, token for token.

The tiny model's eos is re-pointed at a token it emits often, so in one padded batch some rows
stop early and some run to max_new_tokens: parity then covers eos handling and padding too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from export.export_cmd import export_bundle, manifest_matches, source_hash
from export.onnx_export import GRAPH_INPUTS, GRAPH_OUTPUT
from export.tiny_model import build_tiny_t5, synthetic_text
from python_models.engines import load_engine
from tests.export_helpers import encode, hf_generate, repoint_eos

MAX_NEW = 24
# Different lengths on purpose: the batch is padded and the mask matters.
TEXTS = synthetic_text(6, seed=11) + ["No pneumothorax.", "EXAM: XR chest."]


def _hf_greedy(checkpoint: Path, ids: np.ndarray, mask: np.ndarray, eos: int) -> list[list[int]]:
    """Reference: plain transformers greedy generate, cut at the first eos."""
    return hf_generate(checkpoint, ids, mask, eos, max_new_tokens=MAX_NEW, num_beams=1)


def build_tiny_bundle(root: Path, precisions: tuple[str, ...] = ("fp32", "int8")) -> Path:
    """Tiny checkpoint under root/ckpt exported into root/repo; returns the repository."""
    checkpoint = build_tiny_t5(root / "ckpt")
    ids, mask = encode(checkpoint, TEXTS)
    repoint_eos(checkpoint, _hf_greedy(checkpoint, ids, mask, eos=-1), MAX_NEW)
    export_bundle(checkpoint, root / "repo", list(precisions), max_new_tokens=MAX_NEW, check=False)
    return root / "repo"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bundle(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def bundle(exported: Path) -> Path:
    return exported / "generator" / "1"


@pytest.fixture(scope="module")
def batch(bundle: Path) -> tuple[np.ndarray, np.ndarray]:
    return encode(bundle / "tokenizer", TEXTS)


def test_onnx_fp32_equals_pytorch_greedy(bundle: Path, batch) -> None:
    ids, mask = batch
    assert len(set(mask.sum(axis=1).tolist())) > 3  # really different lengths
    eos = json.loads((bundle / "generation_config.json").read_text())["eos_token_id"]
    expected = _hf_greedy(bundle.parent.parent.parent / "ckpt", ids, mask, eos)
    engine = load_engine("onnxruntime", bundle, precision="fp32", num_threads=1)
    assert engine.generate(ids, mask, MAX_NEW) == expected
    lengths = {len(row) for row in expected}
    assert min(lengths) < MAX_NEW and MAX_NEW in lengths  # early eos and full-length rows


def test_torch_engine_matches_onnx(bundle: Path, batch) -> None:
    ids, mask = batch
    onnx_out = load_engine("onnxruntime", bundle, num_threads=1).generate(ids, mask, MAX_NEW)
    assert load_engine("torch", bundle, num_threads=1).generate(ids, mask, MAX_NEW) == onnx_out


def test_beam_search_matches_between_engines_and_differs_from_greedy(bundle: Path, batch) -> None:
    """num_beams is a run-time input of the same ONNX graph; torch (early stopping, length
    penalty 1) must give the same tokens, and the beams must really search."""
    ids, mask = batch
    beams = load_engine("onnxruntime", bundle, num_threads=1, num_beams=3).generate(
        ids, mask, MAX_NEW
    )
    assert (
        load_engine("torch", bundle, num_threads=1, num_beams=3).generate(ids, mask, MAX_NEW)
        == beams
    )
    greedy = load_engine("onnxruntime", bundle, num_threads=1).generate(ids, mask, MAX_NEW)
    assert beams != greedy
    with pytest.raises(ValueError, match="num_beams"):
        load_engine("onnxruntime", bundle, num_beams=0)


def test_candidates_match_between_engines_and_start_with_the_best(bundle: Path, batch) -> None:
    """num_candidates returns the n best beams of the same search, best first, in both
    engines; the first is what `generate` returns."""
    ids, mask = batch
    onnx = load_engine("onnxruntime", bundle, num_threads=1, num_beams=3, num_candidates=3)
    candidates = onnx.generate_candidates(ids, mask, MAX_NEW)
    assert [len(rows) for rows in candidates] == [3] * len(ids)
    assert [rows[0] for rows in candidates] == onnx.generate(ids, mask, MAX_NEW)
    assert any(len({tuple(r) for r in rows}) > 1 for rows in candidates)
    torch_engine = load_engine("torch", bundle, num_threads=1, num_beams=3, num_candidates=3)
    assert torch_engine.generate_candidates(ids, mask, MAX_NEW) == candidates
    with pytest.raises(ValueError, match="num_candidates"):
        load_engine("onnxruntime", bundle, num_beams=2, num_candidates=3)


def test_int8_runs_and_returns_valid_ids(bundle: Path, batch) -> None:
    ids, mask = batch
    settings = json.loads((bundle / "generation_config.json").read_text())
    out = load_engine("onnxruntime", bundle, precision="int8", num_threads=1).generate(
        ids, mask, MAX_NEW
    )
    assert len(out) == len(ids)
    for row in out:
        assert len(row) <= MAX_NEW
        assert all(0 <= t < settings["vocab_size"] for t in row)
        assert settings["eos_token_id"] not in row


def test_min_new_tokens_fixes_the_length(bundle: Path, batch) -> None:
    ids, mask = batch
    engine = load_engine("onnxruntime", bundle, num_threads=1)
    out = engine.generate(ids, mask, 10, min_new_tokens=10)
    assert [len(row) for row in out] == [10] * len(ids)
    assert load_engine("torch", bundle).generate(ids, mask, 10, min_new_tokens=10) == out


def test_graph_io_is_named(bundle: Path) -> None:
    for name in ("model.onnx", "model.int8.onnx"):
        graph = onnx.load(str(bundle / name), load_external_data=False).graph
        assert [i.name for i in graph.input] == [n for n, _, _ in GRAPH_INPUTS]
        assert [o.name for o in graph.output] == [GRAPH_OUTPUT]


def test_bundle_layout_and_manifest(exported: Path, bundle: Path) -> None:
    for model in ("generator", "preprocess", "postprocess"):
        config = json.loads(
            (exported / model / "1" / "tokenizer" / "tokenizer_config.json").read_text()
        )
        assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert (bundle / "hf" / "config.json").exists()
    manifest = json.loads((bundle / "export_manifest.json").read_text())
    checkpoint = exported.parent / "ckpt"
    assert manifest["source"]["sha256"] == source_hash(checkpoint)
    assert set(manifest["precisions"]) == {"fp32", "int8"}
    options = {"max_new_tokens": MAX_NEW}
    assert manifest_matches(bundle, source_hash(checkpoint), ["fp32", "int8"], options)
    assert not manifest_matches(bundle, "0" * 64, ["fp32"], options)
    assert not manifest_matches(bundle, source_hash(checkpoint), ["fp32"], {"max_new_tokens": 8})


def test_if_missing_skips_only_an_up_to_date_bundle(tmp_path: Path) -> None:
    repo = build_tiny_bundle(tmp_path, precisions=("fp32",))
    model = repo / "generator" / "1" / "model.onnx"
    before = model.stat().st_mtime_ns
    again = {"if_missing": True, "check": False, "max_new_tokens": MAX_NEW}
    export_bundle(tmp_path / "ckpt", repo, ["fp32"], **again)
    assert model.stat().st_mtime_ns == before
    # A changed checkpoint (here: its generation config) is exported again.
    (tmp_path / "ckpt" / "generation_config.json").write_text('{"max_new_tokens": 5}')
    export_bundle(tmp_path / "ckpt", repo, ["fp32"], **again)
    assert model.stat().st_mtime_ns != before
    assert not (repo / "generator" / "1" / "model.int8.onnx").exists()
