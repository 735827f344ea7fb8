"""Settings of the job service, shared by the API, the workers and the supervisor.

One frozen object built from flags or environment, so every process of one deployment reads
the same database, queue and store (the scale-out mode is the same code with other URLs).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / (
    "impressions/jobs"
)
MODELS = ("impression", "report_check")


@dataclass(frozen=True)
class Settings:
    """Where state lives and how hard to push Triton; the defaults are the embedded mode."""

    data_dir: Path = DEFAULT_DATA_DIR
    db_url: str | None = None  # SQLAlchemy URL; default sqlite in data_dir
    queue_url: str | None = None  # redis://... or sqlite path; default sqlite in data_dir
    store_dir: Path | None = None  # payloads and results; default data_dir/store
    triton_url: str = "127.0.0.1:8001"  # gRPC
    api_key: str | None = None
    webhook_secret: str | None = None
    webhook_hosts: tuple[str, ...] = ()
    webhook_attempts: int = 5
    webhook_base_delay_s: float = 1.0
    concurrency: int = 16  # Triton requests in flight per job
    job_threads: int = 2  # jobs one worker process runs at once
    lease_s: float = 15.0  # a worker that stops heartbeating for this long loses its job
    max_attempts: int = 8  # per record, busy answers
    unavailable_timeout_s: float = 600.0  # Triton gone this long: the job fails (records kept)
    idle_stop_minutes: float | None = None  # scale to zero
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def resolved_db_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'jobs.sqlite'}"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{self.data_dir / 'queue.sqlite'}"

    @property
    def resolved_store_dir(self) -> Path:
        return self.store_dir or self.data_dir / "store"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def from_env(**overrides: object) -> Settings:
    """Settings from IMPRESSIONS_JOBS_* variables, then explicit overrides (flags) on top."""
    env = os.environ
    values: dict[str, object] = {}
    if env.get("IMPRESSIONS_JOBS_DATA_DIR"):
        values["data_dir"] = Path(env["IMPRESSIONS_JOBS_DATA_DIR"])
    for name in ("db_url", "queue_url", "api_key", "webhook_secret", "triton_url"):
        value = env.get(f"IMPRESSIONS_JOBS_{name.upper()}")
        if value:
            values[name] = value
    if env.get("IMPRESSIONS_JOBS_STORE_DIR"):
        values["store_dir"] = Path(env["IMPRESSIONS_JOBS_STORE_DIR"])
    if env.get("IMPRESSIONS_JOBS_WEBHOOK_HOSTS"):
        values["webhook_hosts"] = tuple(
            h.strip() for h in env["IMPRESSIONS_JOBS_WEBHOOK_HOSTS"].split(",") if h.strip()
        )
    for name in ("webhook_base_delay_s", "lease_s", "unavailable_timeout_s"):
        value = env.get(f"IMPRESSIONS_JOBS_{name.upper()}")
        if value:
            values[name] = float(value)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)  # type: ignore[arg-type]


def is_loopback(host: str) -> bool:
    """True for addresses that only this machine can reach (the no-API-key case)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_env(settings: Settings) -> dict[str, str]:
    """The IMPRESSIONS_JOBS_* variables that make a child process read the same settings."""
    env = {
        "IMPRESSIONS_JOBS_DATA_DIR": str(settings.data_dir),
        "IMPRESSIONS_JOBS_DB_URL": settings.resolved_db_url,
        "IMPRESSIONS_JOBS_QUEUE_URL": settings.resolved_queue_url,
        "IMPRESSIONS_JOBS_STORE_DIR": str(settings.resolved_store_dir),
        "IMPRESSIONS_JOBS_TRITON_URL": settings.triton_url,
    }
    env["IMPRESSIONS_JOBS_WEBHOOK_BASE_DELAY_S"] = str(settings.webhook_base_delay_s)
    env["IMPRESSIONS_JOBS_UNAVAILABLE_TIMEOUT_S"] = str(settings.unavailable_timeout_s)
    if settings.webhook_secret:
        env["IMPRESSIONS_JOBS_WEBHOOK_SECRET"] = settings.webhook_secret
    if settings.webhook_hosts:
        env["IMPRESSIONS_JOBS_WEBHOOK_HOSTS"] = ",".join(settings.webhook_hosts)
    return env
