"""Train the demo model's tokenizer with the `tokenizers` library (offline, seeded corpus).

Digits are split one per token so a number is copied digit by digit and never merged into a
number-shaped token the model has to spell out (measured values go further: they reach the model as
``<nK>`` placeholder tokens, added here, see `python_models.measurement_placeholders`); case is
kept because laterality and exam names are case-sensitive in reports. Special ids follow T5:
pad=0 (also the decoder start), eos=1, unk=2. The files are saved so transformers 4.x and 5.x
load a `PreTrainedTokenizerFast`.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from python_models.measurement_placeholders import SlotKind

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
DEFAULT_VOCAB = 3000
MODEL_MAX_LENGTH = 512


def train_tokenizer(texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB) -> Any:
    """A BPE tokenizer trained on ``texts``, wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(),
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.Punctuation(),
        ]
    )
    tok.decoder = decoders.Metaspace()
    alphabet = sorted(set(string.ascii_letters + string.digits + string.punctuation))
    trainer = BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, EOS, UNK],
        initial_alphabet=alphabet,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, tok.token_to_id(EOS))]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        model_max_length=MODEL_MAX_LENGTH,
    )
    add_placeholder_tokens(fast)
    ids = [fast.convert_tokens_to_ids(t) for t in (PAD, EOS, UNK)]
    if ids != [0, 1, 2]:
        raise RuntimeError(f"special token ids must be pad=0, eos=1, unk=2; got {ids}")
    return fast


def add_placeholder_tokens(tokenizer: Any, kind: SlotKind | None = None) -> int:
    """Give the tokenizer one kind of slot (default: the measurement placeholders ``<n0>``..):
    one token each, normal (not special) so decoding keeps them for postprocess to fill in.
    Returns how many were new."""
    from python_models.measurement_placeholders import MEASUREMENTS, placeholder_tokens

    vocab = tokenizer.get_vocab()
    return tokenizer.add_tokens(
        [t for t in placeholder_tokens(kind or MEASUREMENTS) if t not in vocab]
    )


def add_exam_tokens(tokenizer: Any) -> int:
    """Give the tokenizer the exam markers (`python_models.exam_input`): a model trained with
    them reads the exam in front of the findings. Returns how many were new."""
    from python_models.exam_input import exam_tokens

    vocab = tokenizer.get_vocab()
    return tokenizer.add_tokens([t for t in exam_tokens() if t not in vocab])


def save_tokenizer(tokenizer: Any, out_dir: str | Path) -> Path:
    """Save and rewrite tokenizer_class so 4.x readers load it (5.x writes TokenizersBackend)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out))
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    return out
