"""The style profile of one radiologist: a versioned, validated schema.

A profile is data that a radiologist (or `impressions style learn`) writes and the server reads,
so it is validated once at write time (pydantic) and stored as JSON with a `schema_version`.
`StyleRules` holds every rule; a profile has base rules plus sparse per-modality overrides
(XR/CT/MR/US), merged by `rules_for(modality)`.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from python_models.exams import MODALITIES

SCHEMA_VERSION = 1

Modality = Literal["XR", "CT", "MR", "US"]
ListStyle = Literal["numbered", "bulleted", "prose"]
Numbering = Literal["1.", "1)"]
Ordering = Literal["as_generated", "abnormal_first"]
LateralityCase = Literal["as_written", "upper", "lower"]
Units = Literal["as_written", "mm", "cm", "auto"]
Recommendations = Literal["inline", "separate"]

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
Phrase = Annotated[str, Field(min_length=1, max_length=200)]


class ProfileError(ValueError):
    """Profile data failed validation; the message summarises every problem, one per line."""


# Validation messages name the field, the entry's position (1-based, in the order written) and
# the rule broken, never the phrase itself: profiles may hold names or other PHI by mistake, and
# these messages reach logs and terminals (docs/style.md: "no echo of the values").


def _check_phrase_map(value: dict[str, str], what: str) -> dict[str, str]:
    seen: dict[str, int] = {}
    for n, (source, target) in enumerate(value.items(), start=1):
        key = source.strip().lower()
        if not key or not target.strip():
            raise ValueError(f"{what}: entry {n} has an empty phrase")
        if key == target.strip().lower():
            raise ValueError(f"{what}: entry {n} maps a phrase to itself")
        if key in seen:
            raise ValueError(
                f"{what}: entry {n} repeats the phrase of entry {seen[key]} (case-insensitive)"
            )
        seen[key] = n
    targets = {t.strip().lower() for t in value.values()}
    chained = sorted(n for k, n in seen.items() if k in targets)
    if chained:
        raise ValueError(
            f"{what}: entry {chained[0]} replaces a phrase that is also a replacement (chained)"
        )
    return {k.strip(): v.strip() for k, v in value.items()}


class StyleRules(BaseModel):
    """Every rule of a style. Field defaults are the project's default style."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    list_style: ListStyle = Field("numbered", description="how several items are laid out")
    numbering: Numbering = Field("1.", description="number format when list_style is numbered")
    bullet: Literal["-", "*", "•"] = Field("-", description="bullet when list_style is bulleted")
    number_single_item: bool = Field(False, description="number/bullet a lone item too")
    max_items: int | None = Field(
        None, ge=1, le=20, description="items beyond this are merged into the last one"
    )
    ordering: Ordering = Field("as_generated", description="order of items")
    normal_phrase: str | None = Field(
        None, min_length=1, max_length=200, description="replaces a generic all-normal impression"
    )
    term_preferences: dict[Phrase, Phrase] = Field(
        default_factory=dict, description="term -> preferred term"
    )
    banned_phrases: list[Phrase] = Field(default_factory=list, description="removed if present")
    hedging: dict[Phrase, Phrase] = Field(
        default_factory=dict, description="hedge -> preferred hedge"
    )
    abbreviations_expand: dict[Phrase, Phrase] = Field(
        default_factory=dict, description="abbreviation -> full form written out"
    )
    abbreviations_keep: dict[Phrase, Phrase] = Field(
        default_factory=dict, description="abbreviation -> full form written as the abbreviation"
    )
    laterality_case: LateralityCase = Field("as_written", description="RIGHT vs right")
    units: Units = Field(
        "as_written", description="mm, cm, or auto (mm below 1 cm, cm from 1 cm up)"
    )
    recommendations: Recommendations = Field(
        "inline", description="recommendations as list items or on a separate line"
    )
    terminal_period: bool = Field(True, description="end each item with a period")

    @field_validator("term_preferences", "hedging")
    @classmethod
    def _phrase_maps(cls, value: dict[str, str], info: Any) -> dict[str, str]:
        return _check_phrase_map(value, info.field_name)

    @field_validator("abbreviations_expand", "abbreviations_keep")
    @classmethod
    def _abbreviations(cls, value: dict[str, str], info: Any) -> dict[str, str]:
        for n, (short, long) in enumerate(value.items(), start=1):
            if " " in short.strip() or len(short.strip()) > 12:
                raise ValueError(
                    f"{info.field_name}: entry {n} is not an abbreviation "
                    "(one word of at most 12 characters)"
                )
            if len(long.strip()) <= len(short.strip()):
                raise ValueError(
                    f"{info.field_name}: entry {n} has a full form no longer than its abbreviation"
                )
        return {k.strip(): v.strip() for k, v in value.items()}

    @field_validator("banned_phrases")
    @classmethod
    def _banned(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in value))

    @model_validator(mode="after")
    def _abbreviations_disjoint(self) -> StyleRules:
        kept = {k.lower(): n for n, k in enumerate(self.abbreviations_keep, start=1)}
        for n, short in enumerate(self.abbreviations_expand, start=1):
            if short.lower() in kept:
                raise ValueError(
                    f"abbreviations_expand entry {n} is also abbreviations_keep entry "
                    f"{kept[short.lower()]}: an abbreviation is either expanded or kept"
                )
        return self


class StyleOverride(BaseModel):
    """A sparse set of rules for one modality; unset fields inherit the profile's base rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    list_style: ListStyle | None = None
    numbering: Numbering | None = None
    bullet: Literal["-", "*", "•"] | None = None
    number_single_item: bool | None = None
    max_items: int | None = Field(None, ge=1, le=20)
    ordering: Ordering | None = None
    normal_phrase: str | None = Field(None, min_length=1, max_length=200)
    term_preferences: dict[Phrase, Phrase] | None = None
    banned_phrases: list[Phrase] | None = None
    hedging: dict[Phrase, Phrase] | None = None
    abbreviations_expand: dict[Phrase, Phrase] | None = None
    abbreviations_keep: dict[Phrase, Phrase] | None = None
    laterality_case: LateralityCase | None = None
    units: Units | None = None
    recommendations: Recommendations | None = None
    terminal_period: bool | None = None

    def set_fields(self) -> dict[str, Any]:
        """The rules this override sets (explicitly given, not None)."""
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


class StyleProfile(BaseModel):
    """One radiologist's style: base rules plus per-modality overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    radiologist_id: str
    display_name: str | None = Field(None, max_length=120)
    rules: StyleRules = Field(default_factory=StyleRules)
    overrides: dict[Modality, StyleOverride] = Field(default_factory=dict)

    @field_validator("radiologist_id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID_RE.fullmatch(value):  # match() with "$" lets a trailing newline through
            raise ValueError("must be 1-64 characters: letters, digits, '_', '.', '@', '-'")
        return value

    @model_validator(mode="after")
    def _overrides_merge(self) -> StyleProfile:
        for modality in self.overrides:
            try:
                self.rules_for(modality)
            except ValidationError as exc:
                raise ValueError(f"overrides.{modality}: {summarize_errors(exc)}") from None
        return self

    def rules_for(self, modality: str | None) -> StyleRules:
        """The effective rules for `modality` (base rules when None or not overridden)."""
        override = self.overrides.get(modality) if modality in MODALITIES else None  # type: ignore[call-overload]
        if override is None:
            return self.rules
        merged = {**self.rules.model_dump(), **override.set_fields()}
        return StyleRules.model_validate(merged)


DEFAULT_PROFILE = StyleProfile(radiologist_id="default", display_name="Project default style")


def _model_names() -> frozenset[str]:
    """Every field name and modality: the parts of an error location that are not user data."""
    names = {"[key]", *MODALITIES}
    for model in (StyleProfile, StyleRules, StyleOverride):
        names.update(model.model_fields)
    return frozenset(names)


_SAFE_LOC_NAMES = _model_names()


# An unknown field name is shown when it looks like one ("colour": a typo worth naming); any
# other unknown key (a phrase, a name) is shown only by its position.
_FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _where(loc: tuple[int | str, ...], data: Any, unknown_field: bool = False) -> str:
    """An error location with user keys (a phrase-map key, an unknown key) replaced by their
    position, ``term_preferences.<entry 2>``, so the path never echoes profile text."""
    parts = []
    node = data
    for index, part in enumerate(loc):
        child = None
        is_last = index == len(loc) - 1
        if unknown_field and is_last and isinstance(part, str) and _FIELD_NAME_RE.match(part):
            parts.append(part)
        elif isinstance(part, str) and part not in _SAFE_LOC_NAMES:
            keys = list(node) if isinstance(node, dict) else []
            position = keys.index(part) + 1 if part in keys else None
            parts.append(f"<entry {position}>" if position else "<key>")
        else:
            parts.append(str(part))
        if isinstance(node, dict):
            child = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            child = node[part]
        node = child
    return ".".join(parts)


def summarize_errors(exc: ValidationError, data: Any = None) -> str:
    """One line per problem, `field.path: message`, without echoing the input values.

    ``data`` (the validated input, when at hand) turns user keys in a path into positions.
    """
    lines = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        where = _where(err["loc"], data, err["type"] == "extra_forbidden") or "profile"
        lines.append(f"{where}: {err['msg']}")
    return "\n".join(lines)


def _as_data(data: dict[str, Any] | str | bytes) -> Any:
    """JSON input as Python data (for error positions); None when it is not valid JSON."""
    if not isinstance(data, (str, bytes)):
        return data
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def parse_profile(data: dict[str, Any] | str | bytes) -> StyleProfile:
    """Validate profile data (a dict or JSON); raise ProfileError with a readable summary."""
    try:
        if isinstance(data, (str, bytes)):
            return StyleProfile.model_validate_json(data)
        return StyleProfile.model_validate(data)
    except ValidationError as exc:
        summary = summarize_errors(exc, _as_data(data))
        raise ProfileError("invalid style profile:\n" + summary) from None
