"""Typed reading of `config.pbtxt` parameters, once, at model load.

A bad value fails the load with a message naming the parameter, instead of failing every
request later (DESIGN.md: parse parameters into typed values at load).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A config.pbtxt parameter is missing or malformed."""


def raw_parameters(model_config: dict[str, Any]) -> dict[str, str]:
    params = model_config.get("parameters") or {}
    return {key: str(value.get("string_value", "")) for key, value in params.items()}


def parameter(
    model_config: dict[str, Any],
    key: str,
    convert: Callable[[str], T],
    default: T,
    *,
    choices: Iterable[T] | None = None,
    minimum: float | None = None,
) -> T:
    """Parameter ``key`` converted by ``convert``; ``default`` when absent or empty."""
    raw = raw_parameters(model_config).get(key, "").strip()
    if not raw:
        return default
    if raw.startswith("${"):
        raise ConfigError(f"parameter {key!r} holds an unfilled template placeholder")
    try:
        value = convert(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"parameter {key!r}={raw!r} is not a valid {convert.__name__}") from exc
    allowed = list(choices) if choices is not None else None
    if allowed is not None and value not in allowed:
        raise ConfigError(f"parameter {key!r}={raw!r} must be one of {allowed}")
    if minimum is not None and isinstance(value, (int, float)) and value < minimum:
        raise ConfigError(f"parameter {key!r}={raw!r} must be >= {minimum}")
    return value


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def boolean(raw: str) -> bool:
    """A switch parameter: true/false (also 1/0, yes/no, on/off), any case."""
    value = raw.strip().lower()
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise ValueError(raw)


def version_path(args: dict[str, str]) -> Path:
    """The model's version folder (where its artifacts live)."""
    return Path(args["model_repository"]) / str(args["model_version"])


def resolve_in_version(args: dict[str, str], relative: str) -> Path:
    """A parameter path: absolute as given, else relative to the version folder."""
    path = Path(relative)
    return path if path.is_absolute() else version_path(args) / path
