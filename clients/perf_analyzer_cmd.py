"""`impressions perf-analyzer -- ARGS`: perf_analyzer as typed, with the libraries it needs.

The binary the tritonclient wheel puts in the venv needs `libcudart.so.12` (the venv's
nvidia-cuda-runtime-cu12) on `LD_LIBRARY_PATH` and Debian's `libb64-0d`; typed by hand it fails
with "cannot open shared object file". This runs it under the environment the server runs
under (`clients.server.server_environment`) and, when a system library is still missing, says
which command installs it instead of letting the loader fail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from clients.load import LoadError, perf_analyzer_binary
from clients.server import server_environment

# system library -> the command that installs it
SYSTEM_LIBRARIES = {"libb64.so.0d": "make system-deps (Debian package libb64-0d)"}


def missing_system_libraries() -> list[str]:
    """The system libraries perf_analyzer needs that the dynamic loader does not know."""
    ldconfig = shutil.which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if Path(p).exists()), None
    )
    if ldconfig is None:  # no ldconfig: let the loader speak for itself
        return []
    known = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False).stdout
    return [lib for lib in SYSTEM_LIBRARIES if lib not in known]


def main(argv: list[str]) -> int:
    args = argv[1:] if argv[:1] == ["--"] else argv
    if args[:1] in (["-h"], ["--help"]) and len(args) == 1:
        print(__doc__.strip().splitlines()[0])
        print("usage: impressions perf-analyzer -- [perf_analyzer options]")
        print("e.g.:  impressions perf-analyzer -- -m impression -i grpc -u localhost:8001")
        return 0
    missing = missing_system_libraries()
    if missing:
        installs = "; ".join(f"{lib}: {SYSTEM_LIBRARIES[lib]}" for lib in missing)
        print(f"impressions perf-analyzer: missing system libraries ({installs})", file=sys.stderr)
        return 2
    try:
        binary = perf_analyzer_binary()
    except LoadError as exc:
        print(f"impressions perf-analyzer: {exc}", file=sys.stderr)
        return 2
    return subprocess.run([str(binary), *args], env=server_environment(), check=False).returncode
