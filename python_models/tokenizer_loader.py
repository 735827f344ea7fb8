"""Load the tokenizer that was exported beside a model version."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_tokenizer(path: Path) -> Any:
    """A transformers fast tokenizer from ``path``, with a clear error when it is missing."""
    if not (path / "tokenizer.json").exists():
        raise FileNotFoundError(
            f"no tokenizer.json in {path}; run `impressions export` (or `make artifacts`) first"
        )
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(path))
