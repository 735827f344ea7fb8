"""Job state in SQL: one row per job, one row per finished record, one per webhook attempt.

The results table's key (job_id, seq) is what makes "every record exactly once" hold: a record
is done when its row is committed, a resumed worker skips the seqs it finds, and a second
insert of the same seq is ignored. Leases (owner + expiry, renewed by heartbeats) decide which
worker runs a job, so two workers, or a worker and a late duplicate of its queue message, never
run one job at once. Only ids, counts, timings and short error codes live in `jobs` (no PHI).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("model", sa.String(32), nullable=False),
    sa.Column("payload_uri", sa.String(512), nullable=False),
    sa.Column("payload_format", sa.String(8), nullable=False),
    sa.Column("payload_bytes", sa.BigInteger, nullable=True),
    sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
    sa.Column("webhook_url", sa.String(2048), nullable=True),
    sa.Column("webhook_state", sa.String(16), nullable=True),
    sa.Column("total", sa.Integer, nullable=True),
    sa.Column("invalid", sa.Integer, nullable=True),
    sa.Column("done", sa.Integer, nullable=False, default=0),
    sa.Column("failed", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("enqueued_at", sa.Float, nullable=True),
    sa.Column("started_at", sa.Float, nullable=True),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Column("updated_at", sa.Float, nullable=True),
    sa.Column("lease_owner", sa.String(128), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("runs", sa.Integer, nullable=False, default=0),
    sa.Column("cold_start_s", sa.Float, nullable=True),
    sa.Column("run_s", sa.Float, nullable=True),
    sa.Column("retries", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.String(200), nullable=True),
    sa.Column("result_uri", sa.String(512), nullable=True),
)

results = sa.Table(
    "job_results",
    metadata,
    sa.Column("job_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("is_error", sa.Boolean, nullable=False),
    sa.Column("line", sa.Text, nullable=False),
)

webhook_attempts = sa.Table(
    "job_webhook_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(32), nullable=False, index=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.String(200), nullable=True),
    sa.Column("duration_ms", sa.Float, nullable=False),
)

ACTIVE = ("queued", "running")
FINAL = ("succeeded", "failed", "cancelled")


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    """SQLite shared by several processes: WAL, a long busy timeout, and writers that take the
    write lock at BEGIN (a deferred BEGIN that upgrades later can fail at once with 'locked')."""
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class Job:
    """A row of `jobs` as the API shows it."""

    row: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None


class JobDB:
    """All SQL of the service; safe to share between threads (one engine, short transactions)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                from pathlib import Path

                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.writer = _sqlite_engine(url, immediate=True)
            self.reader = _sqlite_engine(url, immediate=False)
        else:
            self.writer = self.reader = sa.create_engine(url, pool_pre_ping=True)
        metadata.create_all(self.writer)

    def close(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()

    # ---- jobs ---------------------------------------------------------------------------

    def create_job(self, values: dict[str, Any]) -> tuple[Job, bool]:
        """Insert a job; with an idempotency key already used, return that job (created=False)."""
        now = time.time()
        row = {"status": "queued", "done": 0, "failed": 0, "runs": 0, "retries": 0}
        row.update(values)
        row.setdefault("created_at", now)
        row["updated_at"] = now
        key = row.get("idempotency_key")
        try:
            with self.writer.begin() as conn:
                if key:
                    existing = conn.execute(
                        sa.select(jobs).where(jobs.c.idempotency_key == key)
                    ).first()
                    if existing is not None:
                        return Job(dict(existing._mapping)), False
                conn.execute(jobs.insert().values(**row))
        except sa.exc.IntegrityError:
            # a concurrent submit with the same key won the race (PostgreSQL, several APIs)
            found = self.find_by_key(key) if key else None
            if found is None:
                raise
            return found, False
        job = self.get(row["id"])
        assert job is not None
        return job, True

    def find_by_key(self, key: str) -> Job | None:
        with self.reader.begin() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.idempotency_key == key)).first()
        return Job(dict(row._mapping)) if row else None

    def get(self, job_id: str) -> Job | None:
        with self.reader.begin() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return Job(dict(row._mapping)) if row else None

    def list(self, status: str | None = None, limit: int = 100) -> list[Job]:
        query = sa.select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)
        if status:
            query = query.where(jobs.c.status == status)
        with self.reader.begin() as conn:
            return [Job(dict(r._mapping)) for r in conn.execute(query)]

    def update(self, job_id: str, **values: Any) -> None:
        values["updated_at"] = time.time()
        with self.writer.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(**values))

    def mark_enqueued(self, job_id: str) -> None:
        self.update(job_id, enqueued_at=time.time())

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; False when it had already ended."""
        now = time.time()
        with self.writer.begin() as conn:
            done = conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.status.in_(ACTIVE))
                .values(status="cancelled", finished_at=now, updated_at=now)
            )
        return done.rowcount == 1

    def claim(self, job_id: str, owner: str, lease_s: float) -> Job | None:
        """Take the job's lease if it is active and nobody holds a live lease; else None."""
        now = time.time()
        with self.writer.begin() as conn:
            claimed = conn.execute(
                jobs.update()
                .where(
                    jobs.c.id == job_id,
                    jobs.c.status.in_(ACTIVE),
                    sa.or_(jobs.c.lease_until.is_(None), jobs.c.lease_until < now),
                )
                .values(
                    status="running",
                    lease_owner=owner,
                    lease_until=now + lease_s,
                    started_at=sa.func.coalesce(jobs.c.started_at, now),
                    runs=jobs.c.runs + 1,
                    updated_at=now,
                )
            )
            if claimed.rowcount != 1:
                return None
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return Job(dict(row._mapping)) if row else None

    def heartbeat(self, job_id: str, owner: str, lease_s: float, **values: Any) -> str | None:
        """Renew the lease; returns the job's status, or None when the lease was lost."""
        now = time.time()
        with self.writer.begin() as conn:
            renewed = conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
                .values(lease_until=now + lease_s, updated_at=now, **values)
            )
            if renewed.rowcount != 1:
                return None
            return conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id)).scalar()

    def release(self, job_id: str, owner: str, **values: Any) -> None:
        """Drop the lease (and set final values) if this owner still holds it."""
        values.update(lease_owner=None, lease_until=None, updated_at=time.time())
        with self.writer.begin() as conn:
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
                .values(**values)
            )

    def finish(self, job_id: str, owner: str, status: str, **values: Any) -> bool:
        """Set a final status unless the job was cancelled meanwhile; True when it was set."""
        now = time.time()
        values.update(
            status=status, finished_at=now, updated_at=now, lease_owner=None, lease_until=None
        )
        with self.writer.begin() as conn:
            done = conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.status == "running")
                .values(**values)
            )
        return done.rowcount == 1

    def stale(self, enqueue_grace_s: float = 10.0) -> list[str]:
        """Jobs whose queue message may be lost: a running job whose lease expired (its worker
        died), or a queued job never marked enqueued (its API died between insert and enqueue).
        Each is handed back as queued with a fresh enqueue mark, atomically, so one reaper wins."""
        now = time.time()
        with self.writer.begin() as conn:
            expired = sa.and_(jobs.c.status == "running", jobs.c.lease_until < now)
            orphan = sa.and_(
                jobs.c.status == "queued",
                jobs.c.enqueued_at.is_(None),
                jobs.c.created_at < now - enqueue_grace_s,
            )
            ids = [r[0] for r in conn.execute(sa.select(jobs.c.id).where(sa.or_(expired, orphan)))]
            if ids:
                conn.execute(
                    jobs.update()
                    .where(jobs.c.id.in_(ids), sa.or_(expired, orphan))
                    .values(
                        status="queued",
                        lease_owner=None,
                        lease_until=None,
                        enqueued_at=now,
                        updated_at=now,
                    )
                )
        return ids

    def pending_webhooks(self, older_than_s: float) -> list[str]:
        """Ended jobs whose webhook is still pending long after the end (worker died)."""
        cutoff = time.time() - older_than_s
        with self.reader.begin() as conn:
            return [
                r[0]
                for r in conn.execute(
                    sa.select(jobs.c.id).where(
                        jobs.c.status.in_(FINAL),
                        jobs.c.webhook_state == "pending",
                        jobs.c.finished_at < cutoff,
                    )
                )
            ]

    def activity(self) -> tuple[int, float | None]:
        """(active jobs, time of the last job end): what the idle policy reads."""
        with self.reader.begin() as conn:
            active = conn.execute(
                sa.select(sa.func.count()).select_from(jobs).where(jobs.c.status.in_(ACTIVE))
            ).scalar()
            last = conn.execute(sa.select(sa.func.max(jobs.c.finished_at))).scalar()
        return int(active or 0), last

    # ---- results ------------------------------------------------------------------------

    def done_seqs(self, job_id: str) -> set[int]:
        with self.reader.begin() as conn:
            return {
                r[0]
                for r in conn.execute(sa.select(results.c.seq).where(results.c.job_id == job_id))
            }

    def commit_results(
        self,
        job_id: str,
        owner: str,
        lease_s: float,
        batch: Iterable[tuple[int, bool, dict[str, Any]]],
        retries: int = 0,
    ) -> str | None:
        """Commit finished records and renew the lease in one transaction.

        Returns the job's status after the commit (e.g. 'cancelled'), or None when this worker
        lost its lease, in which case nothing was written.
        """
        now = time.time()
        with self.writer.begin() as conn:
            status = conn.execute(
                sa.select(jobs.c.status).where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
            ).scalar()
            if status is None:
                return None
            done = failed = 0
            for seq, is_error, line in batch:
                exists = conn.execute(
                    sa.select(results.c.seq).where(results.c.job_id == job_id, results.c.seq == seq)
                ).first()
                if exists is not None:
                    continue
                conn.execute(
                    results.insert().values(
                        job_id=job_id,
                        seq=seq,
                        is_error=is_error,
                        line=json.dumps(line, ensure_ascii=False, separators=(",", ":")),
                    )
                )
                failed += int(is_error)
                done += int(not is_error)
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(
                    done=jobs.c.done + done,
                    failed=jobs.c.failed + failed,
                    retries=jobs.c.retries + retries,
                    lease_until=now + lease_s,
                    updated_at=now,
                )
            )
        return str(status)

    def iter_result_lines(self, job_id: str, page: int = 1000) -> Iterator[str]:
        """Result lines in input order, read in pages (bounded memory for large jobs)."""
        last = -1
        while True:
            with self.reader.begin() as conn:
                rows = conn.execute(
                    sa.select(results.c.seq, results.c.line)
                    .where(results.c.job_id == job_id, results.c.seq > last)
                    .order_by(results.c.seq)
                    .limit(page)
                ).all()
            if not rows:
                return
            for _seq, line in rows:
                yield line
            last = rows[-1][0]

    # ---- webhooks -----------------------------------------------------------------------

    def record_attempt(
        self,
        job_id: str,
        attempt: int,
        status_code: int | None,
        error: str | None,
        duration_ms: float,
    ) -> None:
        with self.writer.begin() as conn:
            conn.execute(
                webhook_attempts.insert().values(
                    job_id=job_id,
                    attempt=attempt,
                    at=time.time(),
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )

    def attempts(self, job_id: str) -> list[dict[str, Any]]:
        with self.reader.begin() as conn:
            rows = conn.execute(
                sa.select(webhook_attempts)
                .where(webhook_attempts.c.job_id == job_id)
                .order_by(webhook_attempts.c.id)
            )
            return [
                {k: v for k, v in dict(r._mapping).items() if k not in {"id", "job_id"}}
                for r in rows
            ]
