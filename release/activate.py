"""Move the served version on a running server: activate a release, or roll back.

Triton in explicit model-control mode reloads a model from its config.pbtxt on a load call:
the new version loads beside the old, requests move over once it is ready, and the old one is
unloaded; a load that fails leaves the old version serving. So an activation writes each live
config (pinned to the new version) and asks for a load, model by model; a failure puts back
what was there and says why. Each activation is kept on a stack (activations.jsonl) that
`impressions rollback` pops.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from release.build import RENDERED_CONFIG, released_by
from release.metadata import ReleaseError
from release.render import pin_versions
from release.repository import RELEASED_MODELS, config_path, served_version, write_atomic

HISTORY = "activations.jsonl"
# Pre- and postprocess first: with an unchanged tokenizer any mix is consistent, and the
# generator (the slowest load) switches last.
LOAD_ORDER = ("preprocess", "postprocess", "generator")
assert set(LOAD_ORDER) == set(RELEASED_MODELS)


class ActivationError(ReleaseError):
    """A version could not be served; the previous one still is."""


class Server:
    """The model-repository API of one tritonserver (HTTP), with the admin header if any."""

    def __init__(self, url: str, admin_key: str | None = None, timeout: float = 600) -> None:
        import tritonclient.http as httpclient

        self.url = url
        self.client = httpclient.InferenceServerClient(
            url, connection_timeout=timeout, network_timeout=timeout
        )
        self.headers = {"impressions-admin": admin_key} if admin_key else None

    def load(self, model: str) -> None:
        self.client.load_model(model, headers=self.headers)

    def ready(self, model: str, version: int) -> bool:
        return bool(self.client.is_model_ready(model, str(version), headers=self.headers))

    def why_not(self, model: str, version: int) -> str:
        """Triton's reason for a version that is not ready (from the repository index)."""
        try:
            index = self.client.get_model_repository_index(headers=self.headers)
        except Exception as exc:  # noqa: BLE001 - the reason is best effort
            return f"(repository index unavailable: {type(exc).__name__})"
        for entry in index:
            if entry.get("name") == model and entry.get("version") == str(version):
                return f"{entry.get('state')}: {entry.get('reason', '')}".strip()
        return "not in the repository index"


def history(repository: Path) -> list[dict[str, Any]]:
    path = repository / "generator" / HISTORY
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append(repository: Path, entry: dict[str, Any]) -> None:
    with (repository / "generator" / HISTORY).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")


def active_stack(repository: Path) -> list[dict[str, Any]]:
    """Activations still in force: each activation pushes, each rollback pops."""
    stack: list[dict[str, Any]] = []
    for entry in history(repository):
        if entry["action"] == "activate":
            stack.append(entry)
        elif entry["action"] == "rollback" and stack:
            stack.pop()
    return stack


def _as_list(servers: Server | list[Server]) -> list[Server]:
    return servers if isinstance(servers, list) else [servers]


def _load_everywhere(servers: list[Server], model: str, version: int) -> None:
    """Load `model` on each server (they share the repository) and check `version` is ready."""
    for server in servers:
        try:
            server.load(model)
            if not server.ready(model, version):
                raise ActivationError(f"{model} version {version} is not ready")
        except Exception as exc:  # noqa: BLE001 - named with the server and Triton's state
            state = server.why_not(model, version)
            raise ActivationError(f"on {server.url}: {exc}; state {state}") from exc


def _switch(
    repository: Path, servers: list[Server], texts: dict[str, str], version_of: dict
) -> None:
    """Write and load each model's config in LOAD_ORDER on every server; on a failure restore
    every model's config and reload it everywhere."""
    before = {m: config_path(repository, m).read_text(encoding="utf-8") for m in LOAD_ORDER}
    switched: list[str] = []
    for model in LOAD_ORDER:
        write_atomic(config_path(repository, model), texts[model])
        try:
            _load_everywhere(servers, model, version_of[model])
        except Exception as exc:  # noqa: BLE001 - any failure: put back what served before
            for done in [*switched, model]:
                write_atomic(config_path(repository, done), before[done])
            restored = []
            # Reload what served before, the failed model too: after a failed load Triton
            # still serves the old version but keeps the failed config as the model's; left
            # so, a later load would not unload that old version.
            for done in [*switched, model]:
                ok = True
                for server in servers:
                    try:
                        server.load(done)
                    except Exception:  # noqa: BLE001
                        ok = False
                if ok:
                    restored.append(done)
            raise ActivationError(
                f"{model} version {version_of[model]} failed to load; the previous version "
                f"keeps serving (configs restored, reloaded: {', '.join(restored) or 'none'}). "
                f"Triton says {exc}"
            ) from exc
        switched.append(model)


def activate(repository: Path, version: int, servers: Server | list[Server]) -> dict[str, Any]:
    """Serve release `version` (all three models) on every server that shares the repository;
    returns the history entry."""
    repository = repository.resolve()
    rendered = repository / "generator" / str(version) / RENDERED_CONFIG
    if not rendered.is_file():
        raise ActivationError(f"version {version} is not a release ({rendered} is missing)")
    for model in RELEASED_MODELS:
        if not (repository / model / str(version)).is_dir():
            raise ActivationError(f"{model}/{version} is missing")
    previous = {m: served_version(repository, m) for m in RELEASED_MODELS}
    configs = {m: config_path(repository, m).read_text(encoding="utf-8") for m in RELEASED_MODELS}
    texts = {
        m: rendered.read_text(encoding="utf-8")
        if m == "generator"
        else pin_versions(configs[m], [version])
        for m in RELEASED_MODELS
    }
    _switch(repository, _as_list(servers), texts, dict.fromkeys(RELEASED_MODELS, version))
    entry = {
        "action": "activate",
        "version": version,
        "previous": previous,
        "previous_configs": configs,
        "by": released_by(),
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _append(repository, entry)
    return entry


def rollback(repository: Path, servers: Server | list[Server]) -> dict[str, Any]:
    """Undo the last activation still in force: its previous configs served again (on every
    server that shares the repository)."""
    repository = repository.resolve()
    stack = active_stack(repository)
    if not stack:
        raise ActivationError("nothing to roll back: no activation in force")
    last = stack[-1]
    _switch(repository, _as_list(servers), last["previous_configs"], last["previous"])
    entry = {
        "action": "rollback",
        "version": last["version"],
        "restored": last["previous"],
        "by": released_by(),
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _append(repository, entry)
    return entry
