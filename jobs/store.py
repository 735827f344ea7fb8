"""The payload and result store: a directory, written by streaming, addressed by URI.

URIs are `store://payloads/<name>` and `store://results/<job>.jsonl`; a URI never names a path
outside the store (no `..`, no absolute paths), so a submitted URI cannot read other files.
For scale-out the directory is a shared mount (NFS, a mounted bucket) that every API and worker
sees at the same path. Files are created 0600: payloads and results hold report text (PHI).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

SCHEME = "store://"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
FILE_MODE = 0o600


class StoreError(ValueError):
    """A URI that does not name a file of the store."""


class LocalStore:
    """Store rooted at a directory with `payloads/` and `results/` in it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        for sub in ("payloads", "results", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def path(self, uri: str) -> Path:
        """The file a `store://kind/name` URI names (StoreError for anything else)."""
        if not uri.startswith(SCHEME):
            raise StoreError("payload URI must start with store://")
        kind, _, name = uri[len(SCHEME) :].partition("/")
        if kind not in ("payloads", "results") or not _NAME.match(name) or ".." in name:
            raise StoreError(
                "payload URI must be store://payloads/<name> or store://results/<name>"
            )
        return self.root / kind / name

    def exists(self, uri: str) -> bool:
        return self.path(uri).is_file()

    def new_payload_uri(self, suffix: str) -> str:
        return f"{SCHEME}payloads/{secrets.token_hex(12)}.{suffix}"

    def result_uri(self, job_id: str) -> str:
        return f"{SCHEME}results/{job_id}.jsonl"

    def open_temp(self) -> tuple[Path, BinaryIO]:
        """A new temp file to stream into; `publish` moves it to its URI atomically."""
        path = self.root / "tmp" / f"{secrets.token_hex(12)}.part"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        return path, os.fdopen(fd, "wb")

    def publish(self, temp: Path, uri: str) -> None:
        os.replace(temp, self.path(uri))

    def discard(self, temp: Path) -> None:
        temp.unlink(missing_ok=True)

    def read_chunks(self, uri: str, size: int = 1 << 20) -> Iterator[bytes]:
        with self.path(uri).open("rb") as handle:
            while chunk := handle.read(size):
                yield chunk

    def size(self, uri: str) -> int:
        return self.path(uri).stat().st_size
