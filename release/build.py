"""`impressions release CHECKPOINT`: metadata -> export -> parity -> quality -> version folders.

Everything is built in a staging folder beside the repository; only when both gates pass are
the version folders renamed into place. A failed gate leaves the repository as it was.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from release.gate import GateResult, parity_gate, quality_gate
from release.metadata import RELEASE_FILE, ReleaseError, ReleaseSpec, load_spec
from release.render import pin_versions, render_generator_config
from release.repository import (
    RELEASED_MODELS,
    config_path,
    copy_tree,
    install_versions,
    next_version,
    numeric_versions,
    pin_served,
    served_version,
    sha256,
    tree_checksums,
)

RECORD = "release.json"
RENDERED_CONFIG = "release.config.pbtxt"
RECORD_FORMAT = 1


@dataclass
class ReleaseOutcome:
    """What a release did: the version, where, and the gates (also in the record)."""

    version: int
    written: list[Path]
    record: dict[str, Any]
    gates: list[GateResult]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)


def released_by() -> str:
    """Who released: $IMPRESSIONS_RELEASED_BY, else git's user.email, else the login name."""
    if os.environ.get("IMPRESSIONS_RELEASED_BY"):
        return os.environ["IMPRESSIONS_RELEASED_BY"]
    try:
        email = subprocess.run(
            ["git", "config", "user.email"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        email = ""
    return email or getpass.getuser()


def _stage_repository(repository: Path, staging: Path, spec: ReleaseSpec, version: int) -> Path:
    """A repository the evaluation can read: live configs, the rendered generator config."""
    staged = staging / "repository"
    for config in repository.glob("*/config.pbtxt"):  # every model: the checks read theirs
        (staged / config.parent.name).mkdir(parents=True)
        shutil.copy2(config, staged / config.parent.name / "config.pbtxt")
    generator_config = render_generator_config(spec, version, RELEASE_FILE)
    # The evaluation reads version folder 1 of the staged repository (export's layout).
    (staged / "generator" / "config.pbtxt").write_text(
        pin_versions(generator_config, [1]), encoding="utf-8"
    )
    return staged


def _model_py(repository: Path, model: str) -> Path:
    """The adapter of the version the live config serves (a release reuses its code)."""
    path = repository / model / str(served_version(repository, model)) / "model.py"
    if not path.is_file():
        raise ReleaseError(f"{path} is missing: cannot build a version of {model}")
    return path


def _version_folders(repository: Path, staged: Path, out: Path) -> dict[str, Path]:
    """Final folders: the staged export of each model + its adapter code."""
    folders = {}
    for model in RELEASED_MODELS:
        dest = out / model
        src = staged / model / "1"
        if model == "generator":
            copy_tree(src, dest)
        else:
            dest.mkdir(parents=True)
            copy_tree(src / "tokenizer", dest / "tokenizer")
        shutil.copy2(_model_py(repository, model), dest / "model.py")
        folders[model] = dest
    return folders


def _tokenizer_changed(repository: Path, staged: Path) -> bool:
    """Whether the release's tokenizer differs from the one preprocess serves now."""
    live = repository / "preprocess" / str(served_version(repository, "preprocess")) / "tokenizer"
    new = staged / "preprocess" / "1" / "tokenizer"
    if not live.is_dir():
        return True
    return tree_checksums(live, "tokenizer") != tree_checksums(new, "tokenizer")


def release(checkpoint: Path, repository: Path, data_dir: Path, *, log=print) -> ReleaseOutcome:
    """Run the whole release; writes the next version folders only when every gate passes."""
    from export.export_cmd import export_bundle, source_hash, versions

    checkpoint, repository = checkpoint.resolve(), repository.resolve()
    spec = load_spec(checkpoint)
    for model in RELEASED_MODELS:
        if not config_path(repository, model).is_file():
            raise ReleaseError(f"{config_path(repository, model)} is missing")
        served_version(repository, model)  # fails early on an ambiguous policy
    version = next_version(repository)
    log(f"release {spec.name} {spec.version} from {checkpoint} -> version {version}")
    with tempfile.TemporaryDirectory(prefix=".release-", dir=repository.parent) as tmp:
        staging = Path(tmp)
        staged = _stage_repository(repository, staging, spec, version)
        export_bundle(checkpoint, staged, ["fp32", "int8"], check=False)
        gates = [parity_gate(staged / "generator" / "1", spec.parity, spec.precision)]
        log(_describe(gates[-1]))
        if gates[-1].passed:
            gates.append(quality_gate(staged, checkpoint, spec.quality, data_dir, spec.precision))
            log(_describe(gates[-1]))
        record = {
            "format": RECORD_FORMAT,
            "release": {"name": spec.name, "version": spec.version, "triton_version": version},
            "released_by": released_by(),
            "released_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": {
                "checkpoint": str(checkpoint),
                "sha256": source_hash(checkpoint),
                "release_file_sha256": sha256(checkpoint / RELEASE_FILE),
            },
            "metadata": spec.model_dump(mode="json"),
            "gates": {g.name: g.as_dict() for g in gates},
            "tokenizer_changed": _tokenizer_changed(repository, staged),
            "versions": versions(),
        }
        if not all(g.passed for g in gates):
            log(f"release refused: nothing written to {repository}")
            return ReleaseOutcome(version, [], record, gates)
        out = staging / "out"
        folders = _version_folders(repository, staged, out)
        (folders["generator"] / RENDERED_CONFIG).write_text(
            render_generator_config(spec, version, RELEASE_FILE), encoding="utf-8"
        )
        record["files"] = {
            k: v for m, f in folders.items() for k, v in tree_checksums(f, m).items()
        }
        (folders["generator"] / RECORD).write_text(json.dumps(record, indent=2) + "\n")
        pinned = pin_served(repository)
        written = install_versions(folders, repository, version)
        log(f"pinned the served versions {pinned}; wrote {', '.join(map(str, written))}")
    return ReleaseOutcome(version, written, record, gates)


def _describe(gate: GateResult) -> str:
    state = "passed" if gate.passed else "FAILED"
    lines = [f"{gate.name} gate {state}: {json.dumps(gate.scores, sort_keys=True)}"]
    lines += [f"  failed: {f}" for f in gate.failures]
    lines += [f"  skipped: {s}" for s in gate.skipped]
    return "\n".join(lines)


def release_record(repository: Path, version: int) -> dict[str, Any]:
    """The record of one released version (version 1, the committed one, has none)."""
    path = repository / "generator" / str(version) / RECORD
    if not path.is_file():
        raise ReleaseError(f"version {version} has no release record ({path})")
    return json.loads(path.read_text())


def releases(repository: Path) -> list[int]:
    """Released versions (with a record), ascending."""
    gen = repository / "generator"
    return [v for v in numeric_versions(gen) if (gen / str(v) / RECORD).is_file()]
