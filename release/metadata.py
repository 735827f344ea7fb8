"""The release file a checkpoint carries (`release.yaml`): strict, typed, nothing implicit.

Why strict: the file is the only input of a release, so a misspelt key must fail loudly
instead of silently falling back to a default that then ships.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

RELEASE_FILE = "release.yaml"


class ReleaseError(RuntimeError):
    """A release cannot proceed; the message says why (never report text)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bound(_Strict):
    """A threshold on one aggregate score: min and/or max."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("a bound needs min or max")
        return self


class ExternalSet(_Strict):
    """One external evaluation file under the data dir and its thresholds.

    Metric names are the `served` keys of `impressions eval --dataset` (e.g. rougeL,
    key_recall, false_normal, invented_acute; caught_share, clean_blocked for check sets).
    """

    path: str
    thresholds: dict[str, Bound]


class Synthetic(_Strict):
    """The synthetic test split (a closed-loop regression guard, never the headline)."""

    n: int = Field(40, ge=1)
    thresholds: dict[str, Bound]


class Quality(_Strict):
    """The quality gate: external sets first, the synthetic split as a regression guard."""

    limit: int | None = Field(None, ge=1, description="first N cases of each external set")
    external: list[ExternalSet] = []
    synthetic: Synthetic | None = None


class Parity(_Strict):
    """Exported engine vs torch on the same greedy inputs."""

    samples: int = Field(8, ge=1)
    max_new_tokens: int = Field(32, ge=1)
    min_identical_rows: float = Field(1.0, ge=0, le=1)


class Instances(_Strict):
    count: int = Field(1, ge=1, le=64)
    kind: Literal["KIND_AUTO", "KIND_CPU", "KIND_GPU"] = "KIND_AUTO"


class ReleaseSpec(_Strict):
    """Everything a release needs to know, from the checkpoint's release.yaml."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$")
    engine: Literal["onnxruntime", "torch", "tensorrt"]
    precision: Literal["fp32", "int8"]
    num_beams: int = Field(ge=1, le=8)
    num_candidates: int = Field(ge=1, le=8)
    max_new_tokens: int = Field(ge=1, le=1024)
    max_input_tokens: int = Field(ge=8, le=4096)
    max_batch_size: int = Field(ge=64, le=1024)
    max_queue_size: int = Field(ge=1)
    num_threads: int = Field(0, ge=0)
    instances: Instances
    parity: Parity = Parity()
    quality: Quality

    @model_validator(mode="after")
    def _candidates_within_beams(self) -> ReleaseSpec:
        if self.num_candidates > self.num_beams:
            raise ValueError("num_candidates must be <= num_beams")
        return self


def load_spec(checkpoint: Path) -> ReleaseSpec:
    """Parse and validate `<checkpoint>/release.yaml`; errors name the key, never guess."""
    path = checkpoint / RELEASE_FILE
    if not path.is_file():
        raise ReleaseError(f"{path} is missing: a release reads only this file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ReleaseError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ReleaseError(f"{path} must hold a mapping of keys")
    try:
        return ReleaseSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ReleaseError(f"{path}: {problems}") from exc
