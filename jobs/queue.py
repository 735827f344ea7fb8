"""The durable queue: Huey, on SQLite (embedded) or Redis (scale-out).

Queue messages carry only job ids. Huey removes a message when a worker takes it, so a worker
killed mid-job takes its message with it: the database lease, not the queue, is the source of
truth, and the reaper (jobs.worker) re-enqueues jobs whose lease expired. A duplicate message is
harmless: the claim on the lease lets only one worker run a job.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey

QUEUE_NAME = "impressions-jobs"

# Set by the worker process; the API only enqueues, so its tasks never run there.
_handlers: dict[str, Callable[[str], None]] = {}


def make_huey(url: str) -> Huey:
    """RedisHuey for redis:// URLs, else SqliteHuey on the path of a sqlite:/// URL or a path."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=url, results=False)
    path = url.split("///", 1)[1] if url.startswith("sqlite:") else url
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=path, results=False, timeout=60)


def set_handlers(process_job: Callable[[str], None], deliver: Callable[[str], None]) -> None:
    _handlers["process_job"] = process_job
    _handlers["deliver_webhook"] = deliver


class JobQueue:
    """The two task types of the service, bound to one Huey instance."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.huey = make_huey(url)
        self._process = self.huey.task(name="process_job")(_run("process_job"))
        self._deliver = self.huey.task(name="deliver_webhook")(_run("deliver_webhook"))

    def enqueue_job(self, job_id: str) -> None:
        self._process(job_id)

    def enqueue_webhook(self, job_id: str) -> None:
        self._deliver(job_id)

    def pending(self) -> int:
        return int(self.huey.pending_count())


def _run(name: str) -> Callable[[str], None]:
    def task(job_id: str) -> None:
        handler = _handlers.get(name)
        if handler is None:
            raise RuntimeError(f"no handler for {name} in this process (not a worker)")
        handler(job_id)

    task.__name__ = name
    return task
