"""A throw-away PostgreSQL server for tests: real `initdb` + `pg_ctl`, no Docker.

The style store claims any SQLAlchemy URL works; this lets the tests hold PostgreSQL to that.
The cluster lives in a temp dir, listens on 127.0.0.1 on a free port (no unix socket), uses
password (scram) auth so a password is really in play, and is stopped and removed at session end.
`initdb` refuses to run as root, so as root the server runs as an unprivileged user.

Without PostgreSQL binaries the fixture skips, unless IMPRESSIONS_REQUIRE_POSTGRES=1 (CI), where
it fails: a silent skip there would leave the PostgreSQL claim untested again.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients.server import free_port

REQUIRE_ENV = "IMPRESSIONS_REQUIRE_POSTGRES"
SUPERUSER = "impressions"
PASSWORD = "s3cret-Pg-pw"  # test-only; tests assert it never shows up in error messages
_NEEDED = ("initdb", "pg_ctl", "postgres")


def find_bin_dir() -> Path | None:
    """The folder with initdb/pg_ctl/postgres: $PG_BIN, PATH, then Debian's versioned folders.

    Debian's `postgresql` package puts them in /usr/lib/postgresql/<ver>/bin, not on PATH.
    """
    candidates: list[str] = []
    if os.environ.get("PG_BIN"):
        candidates.append(os.environ["PG_BIN"])
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    by_version = glob.glob("/usr/lib/postgresql/*/bin") + glob.glob("/usr/pgsql-*/bin")
    candidates += sorted(by_version, key=_version_key, reverse=True)
    for folder in candidates:
        if all(os.access(Path(folder, name), os.X_OK) for name in _NEEDED):
            return Path(folder)
    return None


def _version_key(folder: str) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() else " " for c in folder).split()
    return tuple(int(d) for d in digits)


def _unprivileged_user() -> pwd.struct_passwd | None:
    """None when not root; else `postgres` if it exists, else `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run as")


class PostgresServer:
    """One running cluster; `new_database()` gives each test its own empty database."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.host = "127.0.0.1"
        self.password = PASSWORD
        self.root = Path(tempfile.mkdtemp(prefix="impressions-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "server.log"
        self._user = _unprivileged_user()
        self._names = itertools.count(1)
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    def _run(self, *args: str) -> None:
        kwargs: dict[str, object] = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        done = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **kwargs,  # type: ignore[arg-type]
        )
        if done.returncode != 0:
            log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                f"{log[-3000:]}"
            )

    def start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._user is not None:
            os.chown(pwfile, self._user.pw_uid, self._user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        options = (
            f"-c listen_addresses={self.host} -p {self.port} -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for `database` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}:{password}@{self.host}:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        conninfo = f"host={self.host} port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, password=PASSWORD, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """Create an empty database and return its URL: a fresh store per test."""
        name = f"styles_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database from `new_database`, closing connections a test left open."""
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def _unavailable(reason: str) -> None:
    """Skip, or fail when PostgreSQL is required (CI)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires PostgreSQL tests", pytrace=False)
    pytest.skip(reason)


# Test modules use these with `pytest_plugins = ["tests.postgres_server"]`: registered as a
# plugin, the session fixture is one definition, so every module shares one server.
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole test session (skips without binaries, see module doc)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is not installed (pip install -e '.[dev]')")
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty database (no tables yet), dropped afterwards."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)
