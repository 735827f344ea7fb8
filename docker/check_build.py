"""Exercise docker/Dockerfile's build steps where no Docker engine exists.

Why: the image cannot be built here (no engine, no NGC base), but its install steps can still
break (a pin that no longer resolves, a file the COPY lines forget). This script builds what
Docker would see: the COPY sources (less .dockerignore) in a scratch context, a clean venv
standing in for the base image's Python, then runs each RUN line there in order, with the ENV
lines set. A RUN that writes outside the context (e.g. mkdir under /var) is reported, not run.
The GPU onnxruntime swap runs only with --gpu-runtime (a large download; docker/install.sh).

    python docker/check_build.py [--keep DIR] [--gpu-runtime]      (make docker-check)
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "docker" / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    steps, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            steps.append((word.upper(), rest.strip()))
            current = ""
    return steps


def ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.strip().rstrip("/")
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(p, pattern[3:]) for p in parts):
                return True
        elif any(fnmatch.fnmatch("/".join(parts[: i + 1]), pattern) for i in range(len(parts))):
            return True
    return False


def copy_sources(args: str, workdir: Path, patterns: list[str]) -> list[str]:
    """Docker's COPY of context paths into workdir (the last word is the destination)."""
    *sources, dest = shlex.split(args)
    target = workdir / dest
    copied = []
    for source in sources:
        src = ROOT / source
        if not src.exists():
            raise SystemExit(f"COPY {source}: not in the build context")
        files = [src] if src.is_file() else [p for p in src.rglob("*") if p.is_file()]
        for path in files:
            relative = path.relative_to(ROOT).as_posix()
            if ignored(relative, patterns):
                continue
            if src.is_dir():
                out = target / path.relative_to(src)
            elif dest.endswith("/") or len(sources) > 1:
                out = target / path.name
            else:
                out = target
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out)
            copied.append(relative)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    parser.add_argument("--gpu-runtime", action="store_true", help="also swap in onnxruntime-gpu")
    args = parser.parse_args(argv)
    patterns = [p for p in (ROOT / ".dockerignore").read_text().splitlines() if p and p[0] != "#"]
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="impressions-docker-"))
    context, venv = scratch / "opt-impressions", scratch / "venv"
    shutil.rmtree(scratch, ignore_errors=True)
    context.mkdir(parents=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env["PYTHON"] = str(venv / "bin" / "python")
    env.pop("VIRTUAL_ENV", None)
    if not args.gpu_runtime:
        env["IMPRESSIONS_ORT_GPU"] = ""
    workdir = context
    for word, rest in instructions(DOCKERFILE.read_text()):
        if word == "FROM":
            print(f"FROM {rest}: stood in for by a clean venv ({venv})")
        elif word == "WORKDIR":
            print(f"WORKDIR {rest}: {context}")
        elif word == "COPY":
            print(f"COPY {rest}: {len(copy_sources(rest, workdir, patterns))} files")
        elif word == "ENV":
            key, _, value = rest.partition("=")
            env[key] = value
            print(f"ENV {rest}")
        elif word == "RUN":
            if any(w.startswith("/") for w in shlex.split(rest)):
                print(f"RUN {rest}: not run (writes outside the build context)")
                continue
            print(f"RUN {rest}", flush=True)
            step = time.monotonic()
            subprocess.run(["sh", "-c", rest], cwd=workdir, env=env, check=True)
            print(f"    ok in {time.monotonic() - step:.0f} s", flush=True)
        else:
            print(f"{word} {rest}: nothing to run")
    subprocess.run(["sh", "-n", str(context / "docker" / "serve.sh")], check=True)
    subprocess.run(
        [str(venv / "bin" / "impressions"), "--help"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"docker build steps ok in {time.monotonic() - started:.0f} s ({scratch})")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
