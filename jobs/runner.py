"""Run one job: stream its payload, call Triton with bounded concurrency, commit as it goes.

Finished records go to a committer that writes them in small transactions together with a
lease renewal; a record counts as done only once committed. A resumed run reads the committed
seqs and skips them, so a SIGKILL loses at most the requests in flight, which are sent again.
The committer also notices a cancel (or a lost lease) and stops the run.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from clients.client import (
    ImpressionsError,
    ModelNotReadyError,
    ServerUnreachableError,
    error_record,
)
from jobs.config import Settings
from jobs.db import JobDB
from jobs.records import Parsed, scan
from jobs.store import LocalStore
from jobs.triton import TritonCaller

log = logging.getLogger("impressions.jobs")
COMMIT_EVERY_S = 0.25
COMMIT_MAX = 256
HEARTBEAT_S = 2.0


class Stop(Exception):
    """The run must stop: cancelled, lease lost, or Triton gone too long (`reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Outcome:
    """How a run ended: 'done', 'cancelled', 'lost' (lease) or 'unavailable'."""

    state: str
    cold_start_s: float | None = None


class JobRun:
    """One run of one job by one worker (a resume is a new run of the same job)."""

    def __init__(
        self,
        job_id: str,
        model: str,
        payload_uri: str,
        fmt: str,
        *,
        owner: str,
        settings: Settings,
        db: JobDB,
        store: LocalStore,
        caller: TritonCaller,
    ) -> None:
        self.job_id, self.model, self.payload_uri, self.fmt = job_id, model, payload_uri, fmt
        self.owner, self.settings, self.db, self.store, self.caller = (
            owner,
            settings,
            db,
            store,
            caller,
        )
        self.pending: list[tuple[int, bool, dict[str, Any]]] = []
        self.retries = 0
        self.stop_reason: str | None = None
        self._closing = False
        self.rng = random.Random()

    async def run(self) -> Outcome:
        # the committer renews the lease from the start: a cold start outlasts the lease
        committer = asyncio.create_task(self._committer())
        slots = asyncio.Semaphore(self.settings.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        cold: float | None = 0.0
        try:
            cold = await self.caller.wait_ready(
                self.model,
                self.settings.unavailable_timeout_s,
                stop=lambda: self.stop_reason is not None,
            )
            if cold is None:
                self.stop_reason = self.stop_reason or "unavailable"
                return Outcome(self.stop_reason)
            done = await asyncio.to_thread(self.db.done_seqs, self.job_id)
            for parsed in scan(self.store.read_chunks(self.payload_uri), self.fmt):
                if self.stop_reason:
                    break
                if parsed.seq in done:
                    continue
                if parsed.error or parsed.fields is None:
                    self._finish(parsed, None, {"type": "InvalidRecord", "message": parsed.error})
                    continue
                await slots.acquire()
                task = asyncio.create_task(self._one(parsed, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for task in tasks:
                task.cancel()
            self._closing = True  # the committer ends after the commit it may be in
            await asyncio.gather(committer, return_exceptions=True)
        if self.stop_reason in (None, "unavailable"):
            status = await self._final_flush()
            if status is None:
                self.stop_reason = "lost"
            elif status == "cancelled":
                self.stop_reason = "cancelled"
        cold_start = cold if cold is not None and cold > 0.5 else None
        return Outcome(self.stop_reason or "done", cold_start_s=cold_start)

    async def _final_flush(self) -> str | None:
        for attempt in range(10):
            try:
                return await self._flush()
            except Exception:
                if attempt == 9:
                    raise
                await asyncio.sleep(1.0)
        return None

    async def _one(self, parsed: Parsed, slots: asyncio.Semaphore) -> None:
        try:
            answer = await self._call(parsed)
            self._finish(parsed, answer, None)
        except Stop as stop:
            self.stop_reason = self.stop_reason or stop.reason
        except ImpressionsError as exc:
            self._finish(parsed, None, error_record(exc))
        except Exception as exc:  # never drop a record, whatever went wrong
            self._finish(parsed, None, {"type": type(exc).__name__, "message": "internal error"})
        finally:
            slots.release()

    async def _call(self, parsed: Parsed) -> dict[str, Any]:
        assert parsed.fields is not None
        attempt = 0
        unavailable_since: float | None = None
        while True:
            if self.stop_reason:
                raise Stop(self.stop_reason)
            attempt += 1
            try:
                return await self.caller.call(self.model, parsed.fields)
            except (ServerUnreachableError, ModelNotReadyError):
                # the server is gone (restart, scale to zero): wait for it, do not fail records
                now = time.monotonic()
                unavailable_since = unavailable_since or now
                if now - unavailable_since > self.settings.unavailable_timeout_s:
                    raise Stop("unavailable") from None
                self.retries += 1
                await asyncio.sleep(min(5.0, 0.2 * 2 ** min(attempt, 5)) * self.rng.uniform(0.5, 1))
            except ImpressionsError as exc:
                if not exc.retryable or attempt >= self.settings.max_attempts:
                    raise
                self.retries += 1
                await asyncio.sleep(min(10.0, 0.1 * 2 ** (attempt - 1)) * self.rng.uniform(0.5, 1))

    def _finish(self, parsed: Parsed, answer: dict[str, Any] | None, error: Any) -> None:
        line: dict[str, Any] = {"id": parsed.id, "line": parsed.line}
        if error is not None:
            line["error"] = error
        else:
            assert answer is not None
            line.update(answer)
        self.pending.append((parsed.seq, error is not None, line))

    async def _flush(self) -> str | None:
        """Commit the finished records (swapped out here, in the loop's thread, so none is lost
        to a concurrent append); on a database error they go back to be committed next time."""
        batch, self.pending = self.pending, []
        retries, self.retries = self.retries, 0
        try:
            return await asyncio.to_thread(
                self.db.commit_results,
                self.job_id,
                self.owner,
                self.settings.lease_s,
                batch,
                retries,
            )
        except Exception:
            self.pending[:0] = batch
            self.retries += retries
            raise

    async def _committer(self) -> None:
        """Commit what finished every COMMIT_EVERY_S or COMMIT_MAX records, and renew the lease
        at least every HEARTBEAT_S even when nothing finished (a long cold start, a slow batch)."""
        last = time.monotonic()
        while not self._closing:
            await asyncio.sleep(0.05)
            since = time.monotonic() - last
            due = len(self.pending) >= COMMIT_MAX or (self.pending and since >= COMMIT_EVERY_S)
            if not due and since < HEARTBEAT_S:
                continue
            last = time.monotonic()
            try:
                status = await self._flush()
            except Exception as exc:  # a locked or restarting database: try again shortly
                log.warning("job %s: commit failed (%s), retrying", self.job_id, type(exc).__name__)
                continue
            if status is None:
                self.stop_reason = "lost"
            elif status == "cancelled":
                self.stop_reason = "cancelled"
