"""BART-family subgraphs for the one-graph BeamSearch export (see export/onnx_export.py).

onnxruntime ships T5 wrappers only, so BART gets two thin torch modules here whose ONNX
inputs/outputs follow the layout the contrib `BeamSearch` op expects for encoder-decoder models
(`model_type=1`), the same layout onnxruntime's T5 wrappers produce with `output_cross_only`:

- encoder: `encoder_input_ids`, `encoder_attention_mask` (int32 [B, L]) ->
  `present_key_cross_i`, `present_value_cross_i` ([B, heads, L, head_size]) per decoder layer;
- decoder (one step, with past): `input_ids` [B, 1], `encoder_attention_mask`,
  `past_key_self_i`/`past_value_self_i` ([B, heads, P, head_size]) for all layers, then
  `past_key_cross_i`/`past_value_cross_i` -> `logits` [B, 1, vocab] and
  `present_key_self_i`/`present_value_self_i` ([B, heads, P + 1, head_size]).

The op runs the first decoder step with an empty self-attention past (P = 0), so there is no
separate "decoder init" graph. The layer math is written out with the checkpoint's own
Linear/LayerNorm/Embedding modules (post-norm BART layers, as in transformers'
`modeling_bart.py`, eager attention) instead of calling transformers' decoder, whose cache and
mask helpers change between releases and do not all trace.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

OPSET = 14
BART_MODEL_TYPES = ("bart",)


def _split_heads(x: torch.Tensor, heads: int, head_size: int) -> torch.Tensor:
    """[B, T, heads * head_size] -> [B, heads, T, head_size]."""
    return x.view(x.shape[0], x.shape[1], heads, head_size).transpose(1, 2)


def _attend(attn, query_in, key, value, mask, heads: int, head_size: int) -> torch.Tensor:
    """transformers' eager attention: softmax(q k^T * scaling + mask) v, then out_proj."""
    query = _split_heads(attn.q_proj(query_in), heads, head_size)
    weights = torch.matmul(query, key.transpose(2, 3)) * attn.scaling
    if mask is not None:
        weights = weights + mask
    weights = nn.functional.softmax(weights, dim=-1)
    out = torch.matmul(weights, value).transpose(1, 2)
    out = out.reshape(out.shape[0], out.shape[1], heads * head_size)
    return attn.out_proj(out)


def _padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """int [B, L] (1 = token) -> additive float [B, 1, 1, L] (0 or the float minimum)."""
    keep = attention_mask[:, None, None, :].to(torch.float32)
    return (1.0 - keep) * torch.finfo(torch.float32).min


def _check(model) -> tuple[int, int]:
    config = model.config
    if config.model_type not in BART_MODEL_TYPES:
        raise ValueError(f"not a BART checkpoint: model_type {config.model_type!r}")
    pre_norm = getattr(model.model.decoder, "layer_norm", None) is not None
    if pre_norm or getattr(config, "normalize_before", False):
        raise ValueError("pre-norm (mBART-style) layers are not supported by the BART export")
    heads = config.decoder_attention_heads
    if config.encoder_attention_heads != heads or config.d_model % heads:
        raise ValueError("BART export needs equal encoder/decoder heads dividing d_model")
    return heads, config.d_model // heads


class BartEncoderCross(nn.Module):
    """Encoder + every decoder layer's cross-attention K/V (the op's encoder subgraph)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.heads, self.head_size = _check(model)
        self.encoder = model.model.encoder
        self.decoder_layers = model.model.decoder.layers

    def forward(self, encoder_input_ids, encoder_attention_mask):
        enc = self.encoder
        ids = encoder_input_ids.long()
        positions = torch.arange(ids.shape[1], device=ids.device) + enc.embed_positions.offset
        hidden = enc.embed_tokens(ids) + enc.embed_positions.weight[positions]
        hidden = enc.layernorm_embedding(hidden)
        mask = _padding_mask(encoder_attention_mask)
        for layer in enc.layers:
            attn = layer.self_attn
            key = _split_heads(attn.k_proj(hidden), self.heads, self.head_size)
            value = _split_heads(attn.v_proj(hidden), self.heads, self.head_size)
            out = _attend(attn, hidden, key, value, mask, self.heads, self.head_size)
            hidden = layer.self_attn_layer_norm(hidden + out)
            ff = layer.fc2(layer.activation_fn(layer.fc1(hidden)))
            hidden = layer.final_layer_norm(hidden + ff)
        cross = []
        for layer in self.decoder_layers:
            attn = layer.encoder_attn
            cross.append(_split_heads(attn.k_proj(hidden), self.heads, self.head_size))
            cross.append(_split_heads(attn.v_proj(hidden), self.heads, self.head_size))
        return tuple(cross)


class BartDecoderStep(nn.Module):
    """One decoder step with self-attention past and cached cross K/V (the op's decoder)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.heads, self.head_size = _check(model)
        self.decoder = model.model.decoder
        self.lm_head = model.lm_head
        self.register_buffer("final_logits_bias", model.final_logits_bias.detach().clone())

    def forward(self, input_ids, encoder_attention_mask, *past):
        dec = self.decoder
        n = len(dec.layers)
        past_self, past_cross = past[: 2 * n], past[2 * n :]
        past_length = past_self[0].shape[2]
        ids = input_ids.long()
        positions = (
            torch.arange(ids.shape[1], device=ids.device) + past_length + dec.embed_positions.offset
        )
        hidden = dec.embed_tokens(ids) + dec.embed_positions.weight[positions]
        hidden = dec.layernorm_embedding(hidden)
        mask = _padding_mask(encoder_attention_mask)
        present = []
        for i, layer in enumerate(dec.layers):
            attn = layer.self_attn
            key = torch.cat(
                [past_self[2 * i], _split_heads(attn.k_proj(hidden), self.heads, self.head_size)],
                dim=2,
            )
            value = torch.cat(
                [
                    past_self[2 * i + 1],
                    _split_heads(attn.v_proj(hidden), self.heads, self.head_size),
                ],
                dim=2,
            )
            present += [key, value]
            # One new token attends to all past tokens and itself: no causal mask needed.
            out = _attend(attn, hidden, key, value, None, self.heads, self.head_size)
            hidden = layer.self_attn_layer_norm(hidden + out)
            out = _attend(
                layer.encoder_attn,
                hidden,
                past_cross[2 * i],
                past_cross[2 * i + 1],
                mask,
                self.heads,
                self.head_size,
            )
            hidden = layer.encoder_attn_layer_norm(hidden + out)
            ff = layer.fc2(layer.activation_fn(layer.fc1(hidden)))
            hidden = layer.final_layer_norm(hidden + ff)
        logits = self.lm_head(hidden) + self.final_logits_bias
        return (logits, *present)


def _names(layers: int, prefix: str, kind: str) -> list[str]:
    return [f"{prefix}_{kv}_{kind}_{i}" for i in range(layers) for kv in ("key", "value")]


def export_bart_subgraphs(model, out_dir: Path) -> tuple[Path, Path]:
    """Export the BART encoder (-> cross K/V) and decoder-with-past as int32-input ONNX files."""
    layers = model.config.decoder_layers
    heads, head_size = _check(model)
    encoder, decoder = BartEncoderCross(model).eval(), BartDecoderStep(model).eval()
    batch, enc_len, past_len = 2, 5, 3
    ids = torch.randint(3, model.config.vocab_size, (batch, enc_len), dtype=torch.int32)
    mask = torch.ones(batch, enc_len, dtype=torch.int32)
    mask[1, -2:] = 0
    batch_axes = {0: "batch_size"}
    enc_axes = {0: "batch_size", 1: "encode_sequence_length"}
    cross_axes = {0: "batch_size", 2: "encode_sequence_length"}
    cross_names = _names(layers, "present", "cross")
    encoder_path, decoder_path = out_dir / "encoder.onnx", out_dir / "decoder.onnx"
    # The tracer warns about shape-dependent Python values; the parity tests check varied
    # batch sizes, input lengths and decode lengths against transformers' generate.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            encoder,
            (ids, mask),
            str(encoder_path),
            input_names=["encoder_input_ids", "encoder_attention_mask"],
            output_names=cross_names,
            dynamic_axes={
                "encoder_input_ids": enc_axes,
                "encoder_attention_mask": enc_axes,
                **dict.fromkeys(cross_names, cross_axes),
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
        cross = list(encoder(ids, mask))
        past_self = [torch.rand(batch, heads, past_len, head_size) for _ in range(2 * layers)]
        step_ids = torch.randint(3, model.config.vocab_size, (batch, 1), dtype=torch.int32)
        past_names = _names(layers, "past", "self") + _names(layers, "past", "cross")
        present_names = _names(layers, "present", "self")
        self_axes = {0: "batch_size", 2: "past_decode_sequence_length"}
        torch.onnx.export(
            decoder,
            (step_ids, mask, *past_self, *cross),
            str(decoder_path),
            input_names=["input_ids", "encoder_attention_mask", *past_names],
            output_names=["logits", *present_names],
            dynamic_axes={
                "input_ids": batch_axes,
                "encoder_attention_mask": enc_axes,
                "logits": batch_axes,
                **dict.fromkeys(_names(layers, "past", "self"), self_axes),
                **dict.fromkeys(_names(layers, "past", "cross"), cross_axes),
                **dict.fromkeys(
                    present_names, {0: "batch_size", 2: "past_decode_sequence_length + 1"}
                ),
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return encoder_path, decoder_path
