"""A worker process: Huey consumer threads run jobs, one asyncio loop talks to Triton.

Each Huey thread takes a job id, claims the job's lease in the database and hands the run to
the process's single event loop (one gRPC channel for all jobs). A reaper thread re-enqueues
jobs whose worker died (expired lease) and webhooks left pending. Start several of these
processes, on several machines, against one database and queue to scale out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import uuid

from jobs.config import Settings
from jobs.db import JobDB
from jobs.queue import JobQueue, set_handlers
from jobs.runner import JobRun
from jobs.store import LocalStore
from jobs.triton import TritonCaller
from jobs.views import job_view
from jobs.webhooks import body_for, deliver

log = logging.getLogger("impressions.jobs")
REAP_EVERY_S = 2.0


class Worker:
    """Everything one worker process holds: database, store, queue, event loop, Triton client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.db = JobDB(settings.resolved_db_url)
        self.store = LocalStore(settings.resolved_store_dir)
        self.queue = JobQueue(settings.resolved_queue_url)
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._loop_thread.start()
        self.caller = self._in_loop(self._make_caller())
        self._stop = threading.Event()
        set_handlers(self.process_job, self.deliver_webhook)

    async def _make_caller(self) -> TritonCaller:
        return TritonCaller(self.settings.triton_url)

    def _in_loop(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    # ---- tasks --------------------------------------------------------------------------

    def process_job(self, job_id: str) -> None:
        job = self.db.claim(job_id, self.owner, self.settings.lease_s)
        if job is None:
            return  # ended, cancelled, or another worker holds it
        log.info("job %s: run %d started", job_id, job.runs)
        run = JobRun(
            job_id,
            job.model,
            job.payload_uri,
            job.payload_format,
            owner=self.owner,
            settings=self.settings,
            db=self.db,
            store=self.store,
            caller=self.caller,
        )
        try:
            outcome = self._in_loop(run.run())
        except Exception as exc:
            log.error("job %s: failed with %s", job_id, type(exc).__name__)
            self._end(job_id, "failed", error=f"internal: {type(exc).__name__}")
            return
        if outcome.cold_start_s is not None:
            self.db.update(job_id, cold_start_s=round(outcome.cold_start_s, 3))
        if outcome.state == "done":
            uri = self._write_results(job_id)
            self._end(job_id, "succeeded", result_uri=uri)
        elif outcome.state == "unavailable":
            self._end(job_id, "failed", error="triton_unavailable")
        elif outcome.state == "cancelled":
            self.db.release(job_id, self.owner)
        log.info("job %s: run ended (%s)", job_id, outcome.state)

    def _end(self, job_id: str, status: str, **values: object) -> None:
        job = self.db.get(job_id)
        webhook = bool(job and job.webhook_url)
        if webhook:
            values["webhook_state"] = "pending"
        if self.db.finish(job_id, self.owner, status, **values) and webhook:
            self.queue.enqueue_webhook(job_id)

    def _write_results(self, job_id: str) -> str:
        """The job's results as one JSONL file in the store, in input order."""
        uri = self.store.result_uri(job_id)
        temp, handle = self.store.open_temp()
        try:
            with handle:
                for line in self.db.iter_result_lines(job_id):
                    handle.write(line.encode() + b"\n")
            self.store.publish(temp, uri)
        finally:
            self.store.discard(temp)
        return uri

    def deliver_webhook(self, job_id: str) -> None:
        job = self.db.get(job_id)
        if job is None or not job.webhook_url or job.webhook_state != "pending":
            return
        secret = self.settings.webhook_secret
        if not secret:
            self.db.update(job_id, webhook_state="failed")
            return
        view = job_view(job)
        first = len(self.db.attempts(job_id))

        def record(attempt: int, code: int | None, error: str | None, ms: float) -> None:
            self.db.record_attempt(job_id, first + attempt, code, error, round(ms, 1))

        ok = deliver(
            job.webhook_url,
            secret,
            body_for(view),
            f"job.{job.status}",
            attempts=self.settings.webhook_attempts,
            base_delay_s=self.settings.webhook_base_delay_s,
            record=record,
        )
        self.db.update(job_id, webhook_state="delivered" if ok else "failed")

    # ---- reaper -------------------------------------------------------------------------

    def reap_once(self) -> list[str]:
        """Re-enqueue jobs whose worker died or whose queue message was never sent."""
        ids = self.db.stale()
        for job_id in ids:
            log.info("job %s: re-enqueued (lease expired or never enqueued)", job_id)
            self.queue.enqueue_job(job_id)
        for job_id in self.db.pending_webhooks(older_than_s=300):
            self.queue.enqueue_webhook(job_id)
        return ids

    def _reaper(self) -> None:
        parent = os.environ.get("IMPRESSIONS_JOBS_PARENT_PID")
        while not self._stop.wait(REAP_EVERY_S):
            if parent and os.getppid() != int(parent):
                # `jobs serve` that started this worker is gone (even SIGKILLed): stop the way
                # Huey stops on SIGINT, so the next serve's workers are the only ones
                log.info("parent serve process gone: stopping")
                os.kill(os.getpid(), signal.SIGINT)
                return
            try:
                self.reap_once()
            except Exception as exc:  # a database hiccup must not end the reaper
                log.warning("reaper: %s", type(exc).__name__)

    def run(self) -> None:
        """Consume the queue until SIGINT/SIGTERM (Huey's consumer handles the signals)."""
        threading.Thread(target=self._reaper, daemon=True).start()
        consumer = self.queue.huey.create_consumer(
            workers=self.settings.job_threads,
            worker_type="thread",
            periodic=False,
            initial_delay=0.05,
            max_delay=0.5,
            backoff=1.2,
        )
        try:
            consumer.run()
        finally:
            self._stop.set()
            self._in_loop(self.caller.close())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.db.close()


def run_worker(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    Worker(settings).run()
