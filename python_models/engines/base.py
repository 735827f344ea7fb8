"""What every generation engine shares: the interface, the bundle's settings, input checks.

An engine turns padded token ids into generated token ids; it knows nothing about Triton or
text. One file per backend keeps heavy imports (torch, tensorrt) out of the others' way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

GENERATION_CONFIG = "generation_config.json"
PRECISION_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


class EngineError(RuntimeError):
    """An engine could not be loaded (missing files, missing runtime)."""


class Engine(Protocol):
    """Seq2seq generation (greedy, or beam search when built with num_beams > 1) over a
    padded batch; with num_candidates > 1 the n best beams of each row."""

    name: str
    settings: GenerationSettings

    def generate(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None = None,
        *,
        min_new_tokens: int = 0,
    ) -> list[list[int]]:
        """One token list per row: no decoder start token, no padding, eos and after stripped.

        min_new_tokens suppresses eos until that many tokens exist (benchmarks use it to
        generate a fixed number of tokens).
        """
        ...

    def generate_candidates(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None = None,
    ) -> list[list[list[int]]]:
        """Per row, the engine's ``num_candidates`` best sequences, best first (token lists
        as in `generate`; `generate` returns the first of them)."""
        ...


class CandidateDecoder:
    """`generate` and `generate_candidates` over one `_decode` that returns the n best
    sequences per row (n = 1 unless built with num_candidates > 1), so engines write only that."""

    def generate(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None = None,
        *,
        min_new_tokens: int = 0,
    ) -> list[list[int]]:
        """Decode a padded batch; see Engine.generate."""
        return [
            rows[0]
            for rows in self._decode(input_ids, attention_mask, max_new_tokens, min_new_tokens)
        ]

    def generate_candidates(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None = None,
    ) -> list[list[list[int]]]:
        """The n best beams per row; see Engine.generate_candidates."""
        return self._decode(input_ids, attention_mask, max_new_tokens, 0)

    def _decode(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        max_new_tokens: int | None,
        min_new_tokens: int,
    ) -> list[list[list[int]]]:
        raise NotImplementedError


@dataclass(frozen=True)
class GenerationSettings:
    """The bundle's generation_config.json, written by `impressions export`."""

    decoder_start_token_id: int
    eos_token_id: int
    pad_token_id: int
    max_new_tokens: int
    vocab_size: int

    @classmethod
    def load(cls, bundle_dir: str | Path) -> GenerationSettings:
        path = Path(bundle_dir) / GENERATION_CONFIG
        if not path.exists():
            raise EngineError(f"{path} is missing: run `impressions export` first")
        raw = json.loads(path.read_text())
        try:
            return cls(**{name: int(raw[name]) for name in cls.__dataclass_fields__})
        except (KeyError, TypeError, ValueError) as exc:
            raise EngineError(f"{path} is invalid: {exc}") from exc


def check_batch(input_ids: np.ndarray, attention_mask: np.ndarray) -> None:
    """Reject malformed batches early with a message that names shapes, never contents."""
    if input_ids.ndim != 2 or attention_mask.shape != input_ids.shape:
        raise ValueError(
            f"input_ids {tuple(input_ids.shape)} and attention_mask "
            f"{tuple(attention_mask.shape)} must both be [batch, length]"
        )
    if input_ids.shape[0] == 0 or input_ids.shape[1] == 0:
        raise ValueError(f"empty batch: input_ids shape {tuple(input_ids.shape)}")


def resolve_max_new_tokens(requested: int | None, settings: GenerationSettings) -> int:
    """Default from the bundle; must be a positive integer."""
    value = settings.max_new_tokens if requested is None else int(requested)
    if value < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {value}")
    return value


def strip_generated(rows: Sequence[Sequence[int]], eos_token_id: int) -> list[list[int]]:
    """Cut each row at its first eos (padding only ever follows eos)."""
    out: list[list[int]] = []
    for row in rows:
        tokens = [int(t) for t in row]
        if eos_token_id in tokens:
            tokens = tokens[: tokens.index(eos_token_id)]
        out.append(tokens)
    return out
