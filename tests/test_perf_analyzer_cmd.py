"""`impressions perf-analyzer` runs the wheel's perf_analyzer as typed (no LD_LIBRARY_PATH set by
hand) and names the install a missing system library needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clients import perf_analyzer_cmd

IMPRESSIONS = Path(sys.executable).parent / "impressions"


def test_a_missing_system_library_names_its_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(perf_analyzer_cmd, "missing_system_libraries", lambda: ["libb64.so.0d"])
    assert perf_analyzer_cmd.main(["--", "--version"]) == 2
    err = capsys.readouterr().err
    assert "libb64.so.0d" in err and "make system-deps" in err


def test_perf_analyzer_runs_as_typed() -> None:
    if perf_analyzer_cmd.missing_system_libraries():
        pytest.skip("libb64-0d is not installed here: run `make system-deps` (CI installs it)")
    done = subprocess.run(
        [str(IMPRESSIONS), "perf-analyzer", "--", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},  # as typed in a shell without the venv's settings
    )
    assert done.returncode == 0, done.stderr
    assert "Perf Analyzer Version" in done.stdout + done.stderr
    assert "cannot open shared object" not in done.stderr
