"""Start a real `tritonserver` on this machine without Docker.

The server binary and the Python backend come from the `nvidia-pytriton` wheel (Triton 2.51.0,
the server of NGC 24.10). The Python backend stub is a separate process with an embedded
interpreter: it finds its ``sys.prefix`` through ``python3`` on ``PATH`` and needs the venv's
libpython and the wheel's bundled libcudart, so the environment is built here once for the
launcher, the tests and the benchmarks alike (see PLATFORM.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPOSITORY = PROJECT_ROOT / "model_repository"
DEFAULT_BACKEND_DIR = PROJECT_ROOT / "build" / "triton_backends"


# What `impressions export` must have built before the repository can be served.
REQUIRED_ARTIFACTS = (
    "generator/1/model.onnx",
    "preprocess/1/tokenizer/tokenizer.json",
    "postprocess/1/tokenizer/tokenizer.json",
)


def missing_artifacts(repository: Path = DEFAULT_REPOSITORY) -> list[str]:
    """The required artifacts that are not in ``repository`` (empty when it can be served)."""
    return [path for path in REQUIRED_ARTIFACTS if not (repository / path).exists()]


# Triton's --model-control-mode values this launcher can add (None: Triton's default, "none").
MODEL_CONTROL_MODES = (None, "explicit", "poll")


class ServerError(RuntimeError):
    """The server could not be started or did not become ready."""


def pytriton_root() -> Path:
    """The folder of the Triton server shipped inside the nvidia-pytriton wheel."""
    try:
        import pytriton
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ServerError(
            "nvidia-pytriton is not installed; run `make install` (it ships tritonserver)"
        ) from exc
    return Path(pytriton.__file__).resolve().parent / "tritonserver"


def tritonserver_binary() -> Path:
    """Path of `tritonserver`: $TRITONSERVER if set (e.g. the NGC image's), else pytriton's."""
    override = os.environ.get("TRITONSERVER")
    if override:
        return Path(override)
    return pytriton_root() / "bin" / "tritonserver"


def prepare_backend_dir(target: Path = DEFAULT_BACKEND_DIR) -> Path:
    """Assemble `<target>/python/` = pytriton's Python backend + the stub for this interpreter.

    Rebuilt only when missing, so concurrent test sessions share it.
    """
    backend = target / "python"
    stub = backend / "triton_python_backend_stub"
    if stub.exists() and (backend / "libtriton_python.so").exists():
        return target
    root = pytriton_root()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    stub_src = root / "python_backend_stubs" / version / "triton_python_backend_stub"
    if not stub_src.exists():
        raise ServerError(f"no Python backend stub for Python {version} in nvidia-pytriton")
    tmp = target.parent / f".{target.name}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(
        root / "backends" / "python", tmp / "python", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(stub_src, tmp / "python" / "triton_python_backend_stub")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(target)
    return target


def server_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment under which the stub embeds this venv's interpreter and numpy."""
    env = dict(os.environ if base is None else base)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", "")])
    libdirs = [sysconfig.get_config_var("LIBDIR") or ""]
    site = Path(sysconfig.get_paths()["purelib"])
    libdirs.append(str(site / "nvidia_pytriton.libs"))
    libdirs.append(str(site / "nvidia" / "cuda_runtime" / "lib"))
    if env.get("LD_LIBRARY_PATH"):
        libdirs.append(env["LD_LIBRARY_PATH"])
    env["LD_LIBRARY_PATH"] = os.pathsep.join(d for d in libdirs if d)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TritonServer:
    """One tritonserver process: start, wait until models are ready, stop cleanly."""

    def __init__(
        self,
        model_repository: Path | str = DEFAULT_REPOSITORY,
        *,
        http_port: int = 8000,
        grpc_port: int = 8001,
        metrics_port: int = 8002,
        log_file: Path | str | None = None,
        extra_args: tuple[str, ...] | list[str] = (),
        env: dict[str, str] | None = None,
        restricted_api_key: str | None = None,
        model_control: str | None = None,
    ) -> None:
        self.model_repository = Path(model_repository).resolve()
        self.http_port, self.grpc_port, self.metrics_port = http_port, grpc_port, metrics_port
        self.log_path = Path(log_file) if log_file else None
        self.extra_args = list(extra_args)
        self.env_overrides = dict(env or {})
        self.restricted_api_key = restricted_api_key
        # Opt-in: "explicit" (models loaded at start, then only by the load API: what
        # `impressions release --activate` / `rollback` drive) or "poll"; default: none.
        self.model_control = model_control or os.environ.get("IMPRESSIONS_MODEL_CONTROL") or None
        if self.model_control not in MODEL_CONTROL_MODES:
            raise ServerError(f"model control must be one of {MODEL_CONTROL_MODES[1:]}")
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle = None

    @property
    def http_url(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def command(self) -> list[str]:
        """The full tritonserver command line (also printed by `impressions serve`)."""
        cmd = [
            str(tritonserver_binary()),
            f"--model-repository={self.model_repository}",
            f"--http-port={self.http_port}",
            f"--grpc-port={self.grpc_port}",
            f"--metrics-port={self.metrics_port}",
            "--log-verbose=0",
            "--strict-readiness=true",
            "--exit-on-error=true",
            "--allow-metrics=true",
        ]
        if not os.environ.get("TRITONSERVER"):
            cmd.append(f"--backend-directory={prepare_backend_dir()}")
        if self.restricted_api_key:
            # Triton 2.51 spells the gRPC flag --grpc-restricted-protocol (newer releases accept
            # --grpc-restricted-api as well); the HTTP flag is --http-restricted-api.
            key = f"impressions-admin={self.restricted_api_key}"
            cmd += [
                f"--http-restricted-api=model-repository,logging,trace:{key}",
                f"--grpc-restricted-protocol=model-repository,logging,trace:{key}",
            ]
        if self.model_control == "explicit":
            cmd += ["--model-control-mode=explicit", "--load-model=*"]
        elif self.model_control == "poll":
            cmd += ["--model-control-mode=poll", "--repository-poll-secs=5"]
        return cmd + self.extra_args

    def start(self) -> None:
        if self._process is not None:
            raise ServerError("server already started")
        env = server_environment()
        env.update(self.env_overrides)
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_handle = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
            out = self._log_handle
        else:
            out = None
        self._process = subprocess.Popen(
            self.command(),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://{self.http_url}{path}", timeout=2) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return 0

    def wait_ready(self, models: tuple[str, ...] = ("impression",), timeout: float = 300) -> None:
        """Block until the server and every named model say ready, or raise with the log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                raise ServerError(
                    f"tritonserver exited early (code {self.returncode()}){self._log_hint()}"
                )
            if self._get("/v2/health/ready") == 200 and all(
                self._get(f"/v2/models/{m}/ready") == 200 for m in models
            ):
                return
            time.sleep(0.5)
        raise ServerError(f"tritonserver not ready after {timeout:.0f}s{self._log_hint()}")

    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def _log_hint(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").splitlines()[-40:]
        return f"; log {self.log_path}:\n" + "\n".join(tail)

    def stop(self, timeout: float = 30) -> None:
        """SIGINT (graceful unload), then SIGKILL of the whole process group if it hangs."""
        proc, self._process = self._process, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGINT)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def wait(self) -> int:
        """Wait for the server to exit on its own (used by `impressions serve`)."""
        if self._process is None:
            return 0
        return self._process.wait()

    def __enter__(self) -> TritonServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
