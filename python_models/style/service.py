"""`StyleService`: what the postprocess model calls to style one impression.

It resolves the radiologist's profile from the store (cached; a cheap revision check at most
every `refresh_s` seconds picks up changes made by the CLI without a server restart), applies
it, and guards the result: the facts of the impression (sizes, sides, negations, findings) must
be the same before and after styling, else the default style is returned with STYLE_FALLBACK.
A missing or unknown profile, or an unreachable store, never fails a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import fields

from python_models.facts import Facts, extract_facts
from python_models.pipeline_warnings import Warning_, warning
from python_models.style.apply import style_impression
from python_models.style.items import is_normal
from python_models.style.profile import DEFAULT_PROFILE, StyleProfile
from python_models.style.store import StyleStore

log = logging.getLogger(__name__)

_NO_FACTS = Facts()
_STORE_RETRY_S = 30.0
_CACHE_MAX = 4096  # ids, including unknown ones: bounded against clients sending random ids


def generic_normal(text: str) -> bool:
    """A normal statement that names no specific finding, side or size ("No acute process")."""
    return is_normal(text) and extract_facts(text) == _NO_FACTS


def facts_diff(before: Facts, after: Facts) -> list[str]:
    """Names of the fact kinds that differ (for messages: never the text itself)."""
    return [f.name for f in fields(Facts) if getattr(before, f.name) != getattr(after, f.name)]


class StyleService:
    """Resolve, cache and apply style profiles; safe to call for every impression."""

    def __init__(
        self,
        store_url: str | None = None,
        *,
        refresh_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store_url = store_url
        self._refresh_s = refresh_s
        self._clock = clock
        self._store: StyleStore | None = None
        self._store_failed_at: float | None = None
        self._cache: dict[str, StyleProfile | None] = {}
        self._revision: int | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    # -- profiles ---------------------------------------------------------------------------
    def _open_store(self) -> StyleStore | None:
        if self._store is not None:
            return self._store
        now = self._clock()
        if self._store_failed_at is not None and now - self._store_failed_at < _STORE_RETRY_S:
            return None
        try:
            self._store = StyleStore(self._store_url)
            self._store_failed_at = None
            log.info("style store opened: %s", self._store.describe())
        except Exception as exc:  # noqa: BLE001 - a broken store must not fail requests
            self._store_failed_at = now
            log.error("style store unavailable: %s", type(exc).__name__)
        return self._store

    def _refresh(self, store: StyleStore) -> None:
        now = self._clock()
        if now - self._checked_at < self._refresh_s:
            return
        revision = store.revision()
        self._checked_at = now
        if revision != self._revision:
            self._cache.clear()
            self._revision = revision

    def profile_for(self, radiologist_id: str | None) -> tuple[StyleProfile, list[Warning_]]:
        """The profile to use, and a STYLE_DEFAULT warning when the requested one is missing."""
        rid = (radiologist_id or "").strip()
        if not rid:
            return DEFAULT_PROFILE, []
        with self._lock:
            try:
                store = self._open_store()
                if store is None:
                    raise ConnectionError("store unavailable")
                self._refresh(store)
                if rid not in self._cache:
                    if len(self._cache) >= _CACHE_MAX:
                        self._cache.clear()
                    self._cache[rid] = store.get(rid)
                profile = self._cache[rid]
            except Exception as exc:  # noqa: BLE001
                log.error("style profile lookup failed: %s", type(exc).__name__)
                return DEFAULT_PROFILE, [
                    warning("STYLE_DEFAULT", "warn", "style store unavailable; default style used")
                ]
        if profile is None:
            return DEFAULT_PROFILE, [
                warning(
                    "STYLE_DEFAULT",
                    "warn",
                    f"no style profile for radiologist {rid!r}; default style used",
                )
            ]
        return profile, []

    # -- styling ----------------------------------------------------------------------------
    def apply(
        self, impression: str, radiologist_id: str | None, modality: str | None
    ) -> tuple[str, list[Warning_]]:
        """Styled impression and warnings (STYLE_DEFAULT, STYLE_FALLBACK)."""
        profile, warnings = self.profile_for(radiologist_id)
        before = extract_facts(impression)
        styled = style_impression(impression, profile.rules_for(modality), generic_normal)
        after = extract_facts(styled)
        if after == before:
            return styled, warnings
        changed = ", ".join(facts_diff(before, after))
        log.warning("style %s changed facts (%s); falling back", profile.radiologist_id, changed)
        if profile is not DEFAULT_PROFILE:
            default = style_impression(
                impression, DEFAULT_PROFILE.rules_for(modality), generic_normal
            )
            if extract_facts(default) == before:
                return default, [
                    *warnings,
                    warning(
                        "STYLE_FALLBACK",
                        "warn",
                        f"style {profile.radiologist_id!r} would change {changed}; "
                        "default style used",
                    ),
                ]
        return impression, [
            *warnings,
            warning(
                "STYLE_FALLBACK", "warn", f"styling would change {changed}; text left as generated"
            ),
        ]
