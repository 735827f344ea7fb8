"""`impressions release`: strict metadata and rendering, the demo checkpoint released as version
2 with both gates passing, and a damaged checkpoint refused with nothing written.

Releases run into copies of the model repository under tmp_path: the shared tree is never
written. The external sets are used when ../shared/data is present (aggregate scores only).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from clients.server import DEFAULT_REPOSITORY, PROJECT_ROOT
from release.build import RECORD, RENDERED_CONFIG, release
from release.gate import quality_gate
from release.metadata import RELEASE_FILE, Quality, ReleaseError, ReleaseSpec, load_spec
from release.render import render_generator_config, render_strict, served_versions
from release.repository import RELEASED_MODELS, sha256

DEMO_CHECKPOINT = PROJECT_ROOT / "export" / "checkpoints" / "demo"
DEMO_RELEASE = PROJECT_ROOT / "release" / "demo.release.yaml"
DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def copy_repository(dest: Path) -> Path:
    """The served models' folders (configs, adapters, built artifacts), caches left out."""
    for model in sorted(p.parent for p in DEFAULT_REPOSITORY.glob("*/config.pbtxt")):
        shutil.copytree(model, dest / model.name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def demo_checkpoint(dest: Path, overrides: dict | None = None) -> Path:
    """The demo checkpoint's files plus its release file (optionally changed)."""
    shutil.copytree(DEMO_CHECKPOINT, dest, ignore=shutil.ignore_patterns("README.md"))
    import yaml

    spec = yaml.safe_load(DEMO_RELEASE.read_text())
    for dotted, value in (overrides or {}).items():
        *parents, last = dotted.split(".")
        node = spec
        for key in parents:
            node = node[key]
        node[last] = value
    (dest / RELEASE_FILE).write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with its checksum (caches left out)."""
    return {
        str(p.relative_to(root)): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def parse(text: str) -> model_config_pb2.ModelConfig:
    return text_format.Parse(text, model_config_pb2.ModelConfig())


# ----------------------------------------------------------------------------- metadata/render
def test_release_file_rejects_unknown_and_missing_keys(tmp_path: Path) -> None:
    good = DEMO_RELEASE.read_text()
    (tmp_path / RELEASE_FILE).write_text(good + "num_beam: 4\n")
    with pytest.raises(ReleaseError, match="num_beam"):
        load_spec(tmp_path)
    (tmp_path / RELEASE_FILE).write_text(good.replace("precision: fp32\n", ""))
    with pytest.raises(ReleaseError, match="precision"):
        load_spec(tmp_path)
    (tmp_path / RELEASE_FILE).write_text(good.replace("num_candidates: 4", "num_candidates: 6"))
    with pytest.raises(ReleaseError, match="num_candidates must be <= num_beams"):
        load_spec(tmp_path)


def test_render_fails_on_missing_unknown_and_leftover() -> None:
    assert render_strict("a: ${x}", {"x": "1"}) == "a: 1"
    with pytest.raises(ReleaseError, match="no value for y"):
        render_strict("a: ${x} ${y}", {"x": "1"})
    with pytest.raises(ReleaseError, match="no placeholder: z"):
        render_strict("a: ${x}", {"x": "1", "z": "2"})
    with pytest.raises(ReleaseError, match="placeholders only"):
        render_strict("a: $x", {"x": "1"})
    with pytest.raises(ReleaseError, match="left after rendering"):
        render_strict("a: ${x}", {"x": "${oops}"})


def test_rendered_demo_config_is_the_served_config_pinned() -> None:
    """The demo's metadata reproduces what generator/config.pbtxt serves today."""
    spec = ReleaseSpec.model_validate(__import__("yaml").safe_load(DEMO_RELEASE.read_text()))
    rendered = parse(render_generator_config(spec, 7, RELEASE_FILE))
    served = parse((DEFAULT_REPOSITORY / "generator" / "config.pbtxt").read_text())
    assert list(rendered.version_policy.specific.versions) == [7]
    assert rendered.parameters["release"].string_value == f"{spec.name}:{spec.version}"
    for key in ("engine", "precision", "num_beams", "num_candidates", "max_input_tokens"):
        assert rendered.parameters[key] == served.parameters[key], key
    for config in (rendered, served):
        config.ClearField("version_policy")
        for key in ("release", "max_new_tokens", "num_threads"):
            config.parameters.pop(key, None)
    assert rendered == served


# ----------------------------------------------------------------------------- whole releases
@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("release")
    repository = copy_repository(root / "repo")
    checkpoint = demo_checkpoint(root / "ckpt")
    return repository, release(checkpoint, repository, DATA_DIR)


def test_demo_released_as_version_2_with_gates_passing(released) -> None:
    repository, outcome = released
    assert outcome.passed, outcome.gates
    assert outcome.version == 2
    gates = outcome.record["gates"]
    assert gates["parity"]["scores"]["torch_vs_fp32_identical_rows"] == 8
    assert "synthetic" in gates["quality"]["scores"]
    if DATA_DIR.is_dir():
        assert "iu-xray/dev.jsonl" in gates["quality"]["scores"], gates["quality"]
        assert gates["quality"]["skipped"] == []
    for model in RELEASED_MODELS:
        folder = repository / model / "2"
        assert (folder / "model.py").is_file()
        assert (folder / "tokenizer" / "tokenizer.json").is_file()
        # the live config still serves 1, pinned so a restart does not pick 2 up unasked
        live = (repository / model / "config.pbtxt").read_text()
        assert served_versions(live, [1, 2]) == [1]


def test_release_record_and_rendered_config(released) -> None:
    repository, _ = released
    folder = repository / "generator" / "2"
    record = json.loads((folder / RECORD).read_text())
    assert record["release"] == {
        "name": "impressions-demo",
        "version": "0.10.0",
        "triton_version": 2,
    }
    assert record["released_by"]
    assert record["tokenizer_changed"] is False  # the demo's own tokenizer is served already
    for relative, digest in record["files"].items():
        if relative != f"generator/{RECORD}":
            assert sha256(repository / relative.replace("/", "/2/", 1)) == digest, relative
    assert "generator/model.onnx" in record["files"]
    config = parse((folder / RENDERED_CONFIG).read_text())
    assert config.name == "generator"
    assert list(config.version_policy.specific.versions) == [2]
    assert config.parameters["num_beams"].string_value == "4"
    assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_AUTO


def _damage(checkpoint: Path) -> None:
    """Shuffle every decoder weight: a checkpoint that loads and exports but writes nonsense."""
    import numpy as np
    from safetensors.numpy import load_file, save_file

    path = checkpoint / "model.safetensors"
    tensors = load_file(path)
    rng = np.random.default_rng(0)
    for name, value in tensors.items():
        if name.startswith("decoder.") and value.ndim == 2:
            tensors[name] = rng.permutation(value.ravel()).reshape(value.shape)
    save_file(tensors, path, metadata={"format": "pt"})


def test_damaged_checkpoint_fails_the_gate_and_writes_nothing(tmp_path: Path) -> None:
    repository = copy_repository(tmp_path / "repo")
    checkpoint = demo_checkpoint(tmp_path / "ckpt")
    _damage(checkpoint)
    before = snapshot(repository)
    outcome = release(checkpoint, repository, DATA_DIR)
    assert not outcome.passed
    quality = outcome.record["gates"]["quality"]
    failures = quality["failures"]
    assert any(f.startswith("synthetic: rougeL") for f in failures), quality
    if DATA_DIR.is_dir():  # on real reports the broken model sends every answer to review
        assert any(f.startswith("iu-xray/dev.jsonl: blocked_share") for f in failures), quality
    assert outcome.written == []
    assert snapshot(repository) == before
    assert not list(tmp_path.glob(".release-*")), "staging folder left behind"


def test_absent_external_sets_are_named_and_nothing_scored_fails(tmp_path: Path) -> None:
    quality = Quality.model_validate(
        {
            "external": [
                {"path": "iu-xray/dev.jsonl", "thresholds": {"rougeL": {"min": 0.3}}},
                {"path": "handwritten/dev-check.jsonl", "thresholds": {"caught": {"min": 1}}},
            ]
        }
    )
    missing = tmp_path / "no-data"
    result = quality_gate(tmp_path, tmp_path, quality, missing, "fp32")
    assert result.skipped == [
        f"iu-xray/dev.jsonl (not found under {missing})",
        f"handwritten/dev-check.jsonl (not found under {missing})",
    ]
    assert not result.passed
    assert result.failures == ["quality: no set could be scored (every set skipped)"]
