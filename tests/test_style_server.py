"""Radiologist styles through the real server: same report, visibly different impressions.

The session server's postprocess model reads the style store at `triton_server.style_db_url`
(its $IMPRESSIONS_STYLE_DB); profiles are written there exactly as `impressions style import`
would, while the server runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from python_models.facts import extract_facts
from python_models.style.profile import parse_profile
from python_models.style.store import StyleStore
from tests.triton_calls import summarize

pytestmark = pytest.mark.integration

EXAMPLES = sorted((Path(__file__).parents[1] / "python_models/style/examples").glob("*.json"))
REPORT = (
    "EXAM: XR chest PA and lateral\nCOMPARISON: None.\nFINDINGS:\n"
    "There is airspace disease in the right lower lobe. Small left pleural effusion measuring "
    "1.2 cm in depth. No pneumothorax. The heart is normal in size.\nIMPRESSION:"
)


@pytest.fixture(scope="module")
def style_store(triton_server: Any) -> StyleStore:
    store = StyleStore(triton_server.style_db_url)
    for path in EXAMPLES:
        store.put(parse_profile(path.read_text()))
    return store


def _codes(warnings: list[dict]) -> list[str]:
    return [w["code"] for w in warnings]


def test_example_profiles_give_different_impressions_with_the_same_facts(
    triton_server: Any, style_store: StyleStore
) -> None:
    ids = [p.stem for p in EXAMPLES]
    assert len(ids) >= 5
    base = summarize("grpc", triton_server, [REPORT], exam=["XR chest"])
    default_text = base.impression[0]
    assert not {"STYLE_DEFAULT", "STYLE_FALLBACK"} & set(_codes(base.warnings[0]))

    # one batch, one radiologist per row: styles must not leak between rows of a batch
    answer = summarize(
        "grpc", triton_server, [REPORT] * len(ids), radiologist_id=ids, exam=["XR chest"] * len(ids)
    )
    styled = dict(zip(ids, answer.impression, strict=True))
    for rid, warnings in zip(ids, answer.warnings, strict=True):
        assert not {"STYLE_DEFAULT", "STYLE_FALLBACK"} & set(_codes(warnings)), rid
    assert len(set(styled.values())) == len(ids), "profiles should look different"
    for rid, text in styled.items():
        assert extract_facts(text) == extract_facts(default_text), rid


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_unknown_radiologist_gets_default_style_and_warning(
    protocol: str, triton_server: Any, style_store: StyleStore
) -> None:
    base = summarize(protocol, triton_server, [REPORT], exam=["XR chest"])
    answer = summarize(
        protocol, triton_server, [REPORT], radiologist_id=["dr_unknown"], exam=["XR chest"]
    )
    assert answer.impression == base.impression
    warning = next(w for w in answer.warnings[0] if w["code"] == "STYLE_DEFAULT")
    assert warning["severity"] in {"warn", "info"} and "dr_unknown" in warning["message"]


def test_profile_change_is_used_without_restart(
    triton_server: Any, style_store: StyleStore
) -> None:
    profile = {
        "radiologist_id": "dr_live",
        "rules": {"list_style": "numbered", "number_single_item": True},
    }
    style_store.put(profile)
    time.sleep(1.5)
    first = summarize("http", triton_server, [REPORT], radiologist_id=["dr_live"]).impression[0]
    assert first.startswith("1. ")
    style_store.put(
        {**profile, "rules": {"list_style": "bulleted", "bullet": "*", "number_single_item": True}}
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = summarize("http", triton_server, [REPORT], radiologist_id=["dr_live"]).impression[0]
        if text.startswith("* "):
            break
        time.sleep(0.5)
    assert text.startswith("* "), json.dumps(text[:2])
