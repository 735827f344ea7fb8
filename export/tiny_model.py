"""A tiny random-weight T5 checkpoint, built offline, so export and serving can be tried without
the trained demo model (no model hub, no training run).

The tokenizer is trained with the `tokenizers` library on a small synthetic radiology text made
here from templates (seeded), and saved as a `PreTrainedTokenizerFast` so a transformers 4.x
reader can load it too. Weights are random but seeded: two builds give the same tokens.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"

_ORGANS = ["lung", "liver", "kidney", "spleen", "pleural space", "heart", "bowel", "gallbladder"]
_SIDES = ["left", "right", "bilateral"]
_FINDINGS = ["nodule", "effusion", "opacity", "mass", "cyst", "fracture", "consolidation"]
_NEGATED = ["pneumothorax", "effusion", "fracture", "free air", "hydronephrosis"]
_TEMPLATES = [
    "EXAM: CT chest. FINDINGS: {side} {organ} {finding} measuring {num} cm. No {neg}.",
    "FINDINGS: There is a {num} mm {finding} in the {side} {organ}. No {neg} is seen.",
    "IMPRESSION: {side} {organ} {finding}, {num} cm. No {neg}.",
    "EXAM: XR chest. FINDINGS: The {organ} is normal. No {neg}. Stable {finding}.",
    "COMPARISON: prior study. FINDINGS: Interval increase of the {side} {finding} to {num} cm.",
]


def synthetic_text(n_lines: int = 400, seed: int = 0) -> list[str]:
    """Return synthetic report-like lines (no patient data) for tokenizer training and tests."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n_lines):
        template = rng.choice(_TEMPLATES)
        lines.append(
            template.format(
                side=rng.choice(_SIDES),
                organ=rng.choice(_ORGANS),
                finding=rng.choice(_FINDINGS),
                neg=rng.choice(_NEGATED),
                num=f"{rng.randint(1, 40) / 10:.1f}",
            )
        )
    return lines


def build_tokenizer(vocab_size: int = 384, seed: int = 0):
    """Train a small BPE tokenizer that appends </s> like T5's does; returns a fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = BpeTrainer(vocab_size=vocab_size, special_tokens=[PAD, EOS, UNK], show_progress=False)
    tok.train_from_iterator(synthetic_text(seed=seed), trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, tok.token_to_id(EOS))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK, model_max_length=512
    )


def build_tiny_t5(out_dir: str | Path, seed: int = 0) -> Path:
    """Write a tiny T5 (config + safetensors + tokenizer) into out_dir and return it."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(seed=seed)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=64,
        d_kv=16,
        d_ff=128,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=64,
        dropout_rate=0.0,
        feed_forward_proj="relu",
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config).eval()
    _spread_weights(model, seed)
    model.generation_config.max_new_tokens = 32
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    fix_tokenizer_class(out)
    return out


def _spread_weights(model, seed: int) -> None:
    """Redraw weights with unit variance: the default T5 init makes a tiny model emit <pad>
    forever, which would make any parity test pass trivially; this gives varied tokens."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "layer_norm" not in name:
                param.normal_(0.0, 1.0, generator=gen)


def fix_tokenizer_class(tokenizer_dir: str | Path) -> None:
    """transformers 5 writes tokenizer_class "TokenizersBackend", which 4.x cannot load."""
    path = Path(tokenizer_dir) / "tokenizer_config.json"
    if not path.exists():
        return
    cfg = json.loads(path.read_text())
    if cfg.get("tokenizer_class") in (None, "TokenizersBackend"):
        cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
        path.write_text(json.dumps(cfg, indent=2) + "\n")
