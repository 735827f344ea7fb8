"""Count warnings per code and model version as Prometheus counters (Triton custom metrics).

Why: a release that makes the model worse shows first as more CRIT_MISS or GROUNDING_EDIT
warnings; counted per model version, the dashboard shows the rise next to the release. Labels
are the model's name, its version and the warning code only, never text: a code that is not a
short upper-case identifier is counted as OTHER, so no report words can reach a label.

No Triton import here: the adapter passes in the backend's MetricFamily (pb_utils).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

FAMILY = "impressions_warnings_total"
DESCRIPTION = "Warnings returned, per model, model version and warning code"
OTHER = "OTHER"
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_VERSION = re.compile(r"[0-9]{1,9}")


def label_code(code: object) -> str:
    """The code as a label value: a known-shaped code as is, anything else OTHER."""
    return code if isinstance(code, str) and _CODE.fullmatch(code) else OTHER


class WarningCounter:
    """One model version's counters; one child metric per code, made on first use."""

    def __init__(self, family: Any, model: str, version: str) -> None:
        if not _NAME.fullmatch(model) or not _VERSION.fullmatch(str(version)):
            raise ValueError("model name / version not fit for metric labels")
        self._family = family
        self._labels = {"model": model, "version": str(version)}
        self._metrics: dict[str, Any] = {}

    def count(self, codes: Iterable[object]) -> None:
        """Add each warning code once per occurrence."""
        for code, n in Counter(label_code(c) for c in codes).items():
            metric = self._metrics.get(code)
            if metric is None:
                metric = self._family.Metric(labels={**self._labels, "code": code})
                self._metrics[code] = metric
            metric.increment(n)

    def close(self) -> None:
        """Drop the metrics before the family (the backend requires that order)."""
        self._metrics.clear()
        self._family = None


class NoCounter:
    """Where the backend has no metrics API (an older stub, a test stand-in): answers are
    served the same, only not counted."""

    def count(self, codes: Iterable[object]) -> None:
        return None

    def close(self) -> None:
        return None


def counter_for(pb_utils: Any, args: dict[str, str]) -> WarningCounter | NoCounter:
    """A WarningCounter for the model that ``args`` (Triton's initialize args) describes, from
    the backend module's MetricFamily; a NoCounter when the backend has none."""
    family_type = getattr(pb_utils, "MetricFamily", None)
    if family_type is None:
        return NoCounter()
    family = family_type(name=FAMILY, description=DESCRIPTION, kind=family_type.COUNTER)
    return WarningCounter(family, args["model_name"], args["model_version"])
