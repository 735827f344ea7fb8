"""Shared by the export parity tests (T5 and BART)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np


def repoint_eos(checkpoint: Path, generated: list[list[int]], max_new: int) -> int:
    """Make a token that some (not all) of the ``generated`` rows emit the eos, in the config
    and the generation config, so parity covers rows that stop early and rows that do not."""
    counts = Counter(t for row in generated for t in set(row[2:max_new]))
    eos = next(t for t, n in counts.most_common() if 0 < n < len(generated) and t > 2)
    for name in ("config.json", "generation_config.json"):
        path = checkpoint / name
        data = json.loads(path.read_text())
        data["eos_token_id"] = eos
        path.write_text(json.dumps(data))
    return eos


def encode(tokenizer_dir: Path, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """input_ids and attention_mask of ``texts``, padded, as numpy arrays."""
    from transformers import AutoTokenizer

    encoded = AutoTokenizer.from_pretrained(tokenizer_dir)(texts, padding=True, return_tensors="np")
    return encoded["input_ids"], encoded["attention_mask"]


def hf_generate(
    checkpoint: Path, ids: np.ndarray, mask: np.ndarray, eos: int, **generate: Any
) -> list[list[int]]:
    """Reference: transformers ``generate`` (deterministic, with ``generate``'s options), each
    row without its start token and cut at the first ``eos``."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(checkpoint).eval()
    with torch.inference_mode():
        out = model.generate(
            input_ids=torch.as_tensor(ids),
            attention_mask=torch.as_tensor(mask),
            do_sample=False,
            **generate,
        )
    return [row[: row.index(eos)] if eos in row else row for row in out[:, 1:].tolist()]
