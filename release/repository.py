"""Version folders of the model repository: numbering, pinning, checksums, atomic install.

Why pinning: a config with `latest` policy would serve a new folder as soon as a server
restarts or polls; a release must change what is served only when it is activated.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from export.export_cmd import file_sha256 as sha256
from release.metadata import ReleaseError
from release.render import parse_config, pin_versions, served_versions

# The models whose folders a release writes: the generator and the two models that must read
# its tokenizer (model and tokenizer change together).
RELEASED_MODELS = ("generator", "preprocess", "postprocess")


def numeric_versions(model_dir: Path) -> list[int]:
    """Version folders of one model, ascending."""
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit())


def next_version(repository: Path) -> int:
    """One above every version folder of the released models (they share numbers)."""
    existing = [v for m in RELEASED_MODELS for v in numeric_versions(repository / m)]
    return max(existing, default=0) + 1


def config_path(repository: Path, model: str) -> Path:
    return repository / model / "config.pbtxt"


def served_version(repository: Path, model: str) -> int:
    """The one version the live config serves (a release keeps exactly one served)."""
    text = config_path(repository, model).read_text(encoding="utf-8")
    served = served_versions(text, numeric_versions(repository / model))
    if len(served) != 1:
        raise ReleaseError(f"{model}: config serves versions {served}; expected exactly one")
    return served[0]


def write_atomic(path: Path, text: str) -> None:
    """Write beside, then rename: a server reading the file sees old or new, never half."""
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def pin_served(repository: Path) -> dict[str, int]:
    """Pin each released model's live config to the version it serves now (if not pinned)."""
    pinned = {}
    for model in RELEASED_MODELS:
        path = config_path(repository, model)
        text = path.read_text(encoding="utf-8")
        version = served_version(repository, model)
        policy = parse_config(text).version_policy.WhichOneof("policy_choice")
        if policy != "specific":
            write_atomic(path, pin_versions(text, [version]))
        pinned[model] = version
    return pinned


def tree_checksums(root: Path, prefix: str) -> dict[str, str]:
    """sha256 of every file under root, keyed by prefix/relative path (caches left out)."""
    return {
        f"{prefix}/{p.relative_to(root).as_posix()}": sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.partial"))


def install_versions(staged: dict[str, Path], repository: Path, version: int) -> list[Path]:
    """Move staged version folders into place, all or none (renames on one filesystem)."""
    targets = {m: repository / m / str(version) for m in staged}
    taken = [str(t) for t in targets.values() if t.exists()]
    if taken:
        raise ReleaseError(f"version folder(s) already exist: {', '.join(taken)}")
    done: list[Path] = []
    try:
        for model, src in staged.items():
            os.rename(src, targets[model])
            done.append(targets[model])
    except OSError as exc:
        for path in done:
            shutil.rmtree(path, ignore_errors=True)
        raise ReleaseError(f"could not move the version folders into place: {exc}") from exc
    return done
