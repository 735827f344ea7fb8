"""Export tiny random-weight BART checkpoints and check the served ONNX graph against
transformers `generate`, token for token, greedy (1 beam) and beam search (4 beams).

The checkpoints use the demo model's tokenizer (its vocab size and ids), no hub access. As in
tests/test_export_parity.py, eos is re-pointed at a token the model emits often, so in one padded
batch some rows stop early and some run to MAX_NEW.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import pytest

from export.export_cmd import export_bundle
from export.onnx_export import GRAPH_INPUTS, GRAPH_OUTPUT
from export.tiny_model import synthetic_text
from python_models.engines import load_engine
from tests.export_helpers import encode, hf_generate, repoint_eos

DEMO = Path(__file__).resolve().parent.parent / "export" / "checkpoints" / "demo"
MAX_NEW = 20
TEXTS = synthetic_text(5, seed=23) + ["No pneumothorax.", "EXAM: XR chest."]
# Two shapes of the architecture: BART-base-like (gelu, unscaled embeddings, tied lm_head) and
# a variant with scaled embeddings, relu, another head count, uneven encoder/decoder depth and
# an untied lm_head (tied with one decoder layer, random weights only repeat the start token).
CONFIGS = {
    "bart-gelu": dict(
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
    ),
    "bart-relu-scaled": dict(
        d_model=48,
        encoder_layers=3,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=96,
        decoder_ffn_dim=96,
        activation_function="relu",
        scale_embedding=True,
        tie_word_embeddings=False,
    ),
}


def _hf_generate(checkpoint: Path, ids, mask, eos: int, num_beams: int) -> list[list[int]]:
    """Reference: transformers generate (forced tokens off), cut at the first eos; eos < 0
    stands for an id past the vocabulary, so nothing stops (used to pick the eos)."""
    vocab_size = json.loads((checkpoint / "config.json").read_text())["vocab_size"]
    return hf_generate(
        checkpoint,
        ids,
        mask,
        eos,
        max_new_tokens=MAX_NEW,
        num_beams=num_beams,
        early_stopping=num_beams > 1,
        length_penalty=1.0,
        eos_token_id=eos if eos >= 0 else vocab_size,
        forced_bos_token_id=None,
        forced_eos_token_id=None,
    )


def build_tiny_bart(path: Path, name: str, seed: int = 0) -> Path:
    """A random-weight BartForConditionalGeneration with the demo tokenizer, saved to path."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig

    vocab_size = json.loads((DEMO / "config.json").read_text())["vocab_size"]
    ids = {"pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 1, "bos_token_id": 2}
    config = BartConfig(
        vocab_size=vocab_size,
        max_position_embeddings=128,
        forced_eos_token_id=None,
        forced_bos_token_id=None,
        init_std=0.1,  # peakier logits than the default 0.02: fewer near-ties between tokens
        **ids,
        **CONFIGS[name],
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config).eval()
    with torch.no_grad():  # a non-zero bias, so the export must carry it
        model.final_logits_bias.normal_(0.0, 0.5)
    model.save_pretrained(path)
    GenerationConfig(**ids, max_new_tokens=MAX_NEW).save_pretrained(path)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy2(DEMO / name, path / name)
    return path


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def exported(request, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp(request.param)
    checkpoint = build_tiny_bart(root / "ckpt", request.param)
    ids, mask = encode(checkpoint, TEXTS)
    eos = repoint_eos(checkpoint, _hf_generate(checkpoint, ids, mask, eos=-1, num_beams=1), MAX_NEW)
    export_bundle(checkpoint, root / "repo", ["fp32"], max_new_tokens=MAX_NEW, check=False)
    return checkpoint, root / "repo" / "generator" / "1", ids, mask, eos


def test_bundle_is_the_served_bart_graph(exported) -> None:
    checkpoint, bundle, _, _, eos = exported
    model = onnx.load(str(bundle / "model.onnx"))
    assert [i.name for i in model.graph.input] == [n for n, _, _ in GRAPH_INPUTS]
    assert [o.name for o in model.graph.output] == [GRAPH_OUTPUT]
    (node,) = model.graph.node
    assert (node.domain, node.op_type) == ("com.microsoft", "BeamSearch")
    assert onnx.helper.get_node_attr_value(node, "model_type") == 1
    settings = json.loads((bundle / "generation_config.json").read_text())
    assert settings["eos_token_id"] == eos and settings["decoder_start_token_id"] == 1


@pytest.mark.parametrize("num_beams", [1, 4])
def test_onnx_equals_transformers_generate(exported, num_beams: int) -> None:
    checkpoint, bundle, ids, mask, eos = exported
    assert len(set(mask.sum(axis=1).tolist())) > 3  # really different lengths
    expected = _hf_generate(checkpoint, ids, mask, eos, num_beams)
    engine = load_engine("onnxruntime", bundle, num_threads=1, num_beams=num_beams)
    assert engine.generate(ids, mask, MAX_NEW) == expected
    if num_beams == 1:
        lengths = {len(row) for row in expected}
        assert min(lengths) < MAX_NEW and MAX_NEW in lengths  # early eos and full-length rows
    else:  # the beams really search
        assert expected != _hf_generate(checkpoint, ids, mask, eos, num_beams=1)
    # A smaller batch (other padded length) and one row alone give the same rows.
    assert engine.generate(ids[:1, : mask[0].sum()], mask[:1, : mask[0].sum()], MAX_NEW) == [
        expected[0]
    ]
