"""Turn a T5-family checkpoint into ONE ONNX graph that runs the whole greedy decode.

Why one graph: ONNX Runtime's contrib `BeamSearch` op (com.microsoft, `num_beams=1` = greedy)
runs the encoder once and loops the decoder-with-past inside the runtime, with no Python per
token; on these machines it was the fastest CPU path (docs: PLATFORM.md). The recipe that works
with transformers 5: load the model with eager attention (the opset-12 exporter rejects SDPA),
export the encoder (cross-attention K/V only) and the decoder-with-past with onnxruntime's own
T5 wrappers, skip the fusion step (it inserts a node with no CPU kernel), then wrap both graphs
as attributes of a BeamSearch node built here with `onnx.helper`.

Graph I/O of the result (all named, see `GRAPH_INPUTS`): int32 `input_ids`/`attention_mask`
[B, L], int32 scalars-as-[1] `max_length`, `min_length`, `num_beams`, `num_return_sequences`,
float `length_penalty`, `repetition_penalty`; output int32 `sequences` [B, 1, max_length] that
starts with the decoder start token.
"""

from __future__ import annotations

import importlib
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import onnx
from onnx import TensorProto, helper

# (name, dtype, shape) of the generation graph, in the BeamSearch op's input order.
GRAPH_INPUTS: list[tuple[str, int, list[str | int]]] = [
    ("input_ids", TensorProto.INT32, ["batch_size", "sequence_length"]),
    ("max_length", TensorProto.INT32, [1]),
    ("min_length", TensorProto.INT32, [1]),
    ("num_beams", TensorProto.INT32, [1]),
    ("num_return_sequences", TensorProto.INT32, [1]),
    ("length_penalty", TensorProto.FLOAT, [1]),
    ("repetition_penalty", TensorProto.FLOAT, [1]),
    ("attention_mask", TensorProto.INT32, ["batch_size", "sequence_length"]),
]
GRAPH_OUTPUT = "sequences"
SUPPORTED_MODEL_TYPES = ("t5", "mt5", "bart")


@dataclass(frozen=True)
class DecoderSpec:
    """Token ids the generation graph bakes in (they also go to generation_config.json)."""

    decoder_start_token_id: int
    eos_token_id: int
    pad_token_id: int
    vocab_size: int


def _ort_t5_modules():
    """onnxruntime's T5 helpers import each other by bare module name (they put their folder on
    sys.path), so the classes must come from those bare modules or isinstance checks fail."""
    importlib.import_module("onnxruntime.transformers.models.t5")  # extends sys.path
    t5_decoder = importlib.import_module("t5_decoder")
    t5_init = importlib.import_module("t5_encoder_decoder_init")
    t5_helper = importlib.import_module("t5_helper")
    return t5_decoder.T5Decoder, t5_init.T5EncoderDecoderInit, t5_helper.T5Helper


def load_seq2seq(checkpoint: Path):
    """Load a T5/BART-family checkpoint with eager attention (needed by the opset-12 exporter)."""
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    config = AutoConfig.from_pretrained(checkpoint)
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(
            f"model_type {config.model_type!r} is not supported by the export "
            f"(supported: {', '.join(SUPPORTED_MODEL_TYPES)})"
        )
    model = AutoModelForSeq2SeqLM.from_pretrained(checkpoint, attn_implementation="eager")
    return model.eval()


def decoder_spec(config) -> DecoderSpec:
    """Ids from the model config; T5 starts decoding from the pad token when none is given."""
    start = config.decoder_start_token_id
    if start is None:
        start = config.pad_token_id
    if start is None or config.eos_token_id is None or config.pad_token_id is None:
        raise ValueError("checkpoint config lacks decoder_start/eos/pad token ids")
    eos = config.eos_token_id
    if isinstance(eos, list):
        eos = eos[0]
    return DecoderSpec(int(start), int(eos), int(config.pad_token_id), int(config.vocab_size))


def export_subgraphs(model, out_dir: Path) -> tuple[Path, Path]:
    """Export encoder (-> cross K/V) and decoder-with-past as int32-input ONNX files."""
    import torch

    if model.config.model_type == "bart":  # own wrappers, same subgraph I/O (bart_export.py)
        from export.bart_export import export_bart_subgraphs

        return export_bart_subgraphs(model, out_dir)

    t5_decoder_cls, t5_init_cls, t5_helper = _ort_t5_modules()
    cpu = torch.device("cpu")
    encoder = t5_init_cls(
        model.encoder,
        model.decoder,
        model.lm_head,
        model.config,
        decoder_start_token_id=None,
        output_cross_only=True,
    ).eval()
    decoder = t5_decoder_cls(model.decoder, model.lm_head, model.config).eval()
    encoder_path, decoder_path = out_dir / "encoder.onnx", out_dir / "decoder.onnx"
    # The tracer warns about Python branches on shapes; the branches it freezes do not depend
    # on batch or length here (parity tests check varied shapes), so keep the output readable.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t5_helper.export_onnx(encoder, cpu, str(encoder_path), verbose=False, use_int32_inputs=True)
        t5_helper.export_onnx(decoder, cpu, str(decoder_path), verbose=False, use_int32_inputs=True)
    return encoder_path, decoder_path


def _numeric_dims(model: onnx.ModelProto, config) -> None:
    """The T5 exporter leaves dims like "8" as dim_param; BeamSearch wants real numbers."""
    if config.model_type == "bart":  # the BART export writes numeric dims already
        return
    fixed = {str(1), str(config.num_heads), str(config.d_model), str(config.d_kv)}
    for value in list(model.graph.input) + list(model.graph.output):
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param") and dim.dim_param in fixed:
                number = int(dim.dim_param)
                dim.Clear()
                dim.dim_value = number


def _shared_initializers(encoder: onnx.ModelProto, decoder: onnx.ModelProto) -> list:
    """Move weights present in both subgraphs to the main graph (one copy in memory)."""
    importlib.import_module("onnxruntime.transformers")  # puts its folder on sys.path
    convert_generation = importlib.import_module("convert_generation")
    return convert_generation.get_shared_initializers(encoder, decoder)


def build_generation_model(
    encoder_path: Path, decoder_path: Path, config, spec: DecoderSpec, out_path: Path
) -> Path:
    """Wrap encoder + decoder graphs into one BeamSearch-op model saved at out_path."""
    encoder = onnx.load(str(encoder_path))
    decoder = onnx.load(str(decoder_path))
    encoder.graph.name = "t5 encoder"
    decoder.graph.name = "t5 decoder"
    _numeric_dims(encoder, config)
    _numeric_dims(decoder, config)
    initializers = _shared_initializers(encoder, decoder)

    # BeamSearch input slots 7 and 8 (vocab_mask, prefix_vocab_mask) are unused: empty names.
    names = [name for name, _, _ in GRAPH_INPUTS]
    node = helper.make_node(
        "BeamSearch",
        inputs=names[:7] + ["", ""] + names[7:],
        outputs=[GRAPH_OUTPUT],
        name="GreedySearch_t5",
        domain="com.microsoft",
        eos_token_id=spec.eos_token_id,
        # The op pads finished rows with pad_token_id and drops their eos; T5's pad (0) is
        # also a token a model can emit, so pad with eos instead: rows then end unambiguously
        # at their first eos. (The encoder mask comes from the attention_mask input, not pad.)
        pad_token_id=spec.eos_token_id,
        decoder_start_token_id=spec.decoder_start_token_id,
        no_repeat_ngram_size=0,
        # With one beam, early stopping ends a row at its first top-1 eos, which is greedy.
        # Without it the op keeps decoding past that eos with the runner-up token and may
        # return the longer hypothesis (a beam-search outcome HF greedy never produces).
        early_stopping=1,
        model_type=1,  # 1 = encoder-decoder (T5)
        encoder=encoder.graph,
        decoder=decoder.graph,
    )
    inputs = [helper.make_tensor_value_info(n, t, s) for n, t, s in GRAPH_INPUTS]
    output = helper.make_tensor_value_info(
        GRAPH_OUTPUT, TensorProto.INT32, ["batch_size", "num_return_sequences", "max_length"]
    )
    graph = helper.make_graph([node], "t5 greedy generation", inputs, [output], initializers)
    opsets = list(decoder.opset_import)
    if not any(op.domain == "com.microsoft" for op in opsets):
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, producer_name="impressions.export", opset_imports=opsets)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out_path))
    return out_path


def export_generation_models(
    checkpoint: Path, out_dir: Path, precisions: tuple[str, ...] = ("fp32",)
) -> dict[str, Path]:
    """Checkpoint -> {precision: path} of generation models written into out_dir.

    Files are written under temporary names and returned; the caller moves them into place.
    """
    from export.quantize import quantize_int8

    model = load_seq2seq(checkpoint)
    spec = decoder_spec(model.config)
    results: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="impressions-export-") as tmp:
        tmp_dir = Path(tmp)
        encoder_path, decoder_path = export_subgraphs(model, tmp_dir)
        if "fp32" in precisions:
            results["fp32"] = build_generation_model(
                encoder_path, decoder_path, model.config, spec, out_dir / ".model.onnx.partial"
            )
        if "int8" in precisions:
            enc8 = quantize_int8(encoder_path, tmp_dir / "encoder.int8.onnx")
            dec8 = quantize_int8(decoder_path, tmp_dir / "decoder.int8.onnx")
            results["int8"] = build_generation_model(
                enc8, dec8, model.config, spec, out_dir / ".model.int8.onnx.partial"
            )
    return results
