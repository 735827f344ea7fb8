"""Webhook notifications: signed, limited to allowed hosts, retried, every attempt recorded.

The body carries ids, counts, timings and URLs only (never report or impression text). The
signature is HMAC-SHA256 over "<timestamp>.<body>" with the shared secret, sent as
`X-Impressions-Signature: sha256=<hex>` with `X-Impressions-Timestamp`, so a receiver can
check both origin and freshness (`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Impressions-Signature"
TIMESTAMP_HEADER = "X-Impressions-Timestamp"
EVENT_HEADER = "X-Impressions-Event"


class WebhookRefused(ValueError):
    """The URL may not be used (scheme, host not allowed, no secret configured)."""


def check_url(url: str, allowed_hosts: tuple[str, ...], secret: str | None) -> None:
    """Raise WebhookRefused unless `url` is http(s) to an allowed host and a secret is set."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("webhook must be an http(s) URL")
    if parts.username or parts.password:
        raise WebhookRefused("webhook URL must not carry credentials")
    if parts.hostname.lower() not in {h.lower() for h in allowed_hosts}:
        raise WebhookRefused(
            f"webhook host {parts.hostname!r} is not allowed (configure --webhook-host)"
        )
    if not secret:
        raise WebhookRefused("webhooks need a signing secret (--webhook-secret)")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, headers: dict[str, str], body: bytes, max_age_s: float = 300) -> bool:
    """Receiver side: True when the signature matches and the timestamp is fresh."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = lower.get(TIMESTAMP_HEADER.lower(), "")
    given = lower.get(SIGNATURE_HEADER.lower(), "")
    try:
        fresh = abs(time.time() - float(timestamp)) <= max_age_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), given)


def body_for(job: dict[str, Any]) -> bytes:
    """The notification: what a receiver needs to fetch results, nothing clinical."""
    keep = ("job_id", "status", "model", "counts", "timings", "result_uri", "results_url", "error")
    payload = {"event": f"job.{job['status']}", **{k: job.get(k) for k in keep}}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def deliver(
    url: str,
    secret: str,
    body: bytes,
    event: str,
    *,
    attempts: int,
    base_delay_s: float,
    record: Callable[[int, int | None, str | None, float], None],
    timeout_s: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST until a 2xx, at most `attempts` times with exponential backoff and jitter.

    `record(attempt, status_code, error, duration_ms)` is called for every attempt. Returns
    True when delivered. Errors are recorded by type and status only (no bodies)."""
    import httpx

    rng = random.Random()
    for attempt in range(1, attempts + 1):
        timestamp = f"{time.time():.3f}"
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            TIMESTAMP_HEADER: timestamp,
            EVENT_HEADER: event,
            "User-Agent": "impressions-jobs",
        }
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        try:
            answer = httpx.post(url, content=body, headers=headers, timeout=timeout_s)
            code = answer.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        record(attempt, code, error, (time.perf_counter() - started) * 1000)
        if error is None:
            return True
        if attempt < attempts:
            delay = base_delay_s * 2 ** (attempt - 1)
            sleep(delay * (0.75 + 0.5 * rng.random()))
    return False
