"""The style store on a real PostgreSQL server: what SQLite cannot show.

test_style_store.py runs the CRUD, service and CLI cases on both backends; this file covers
what differs on a server database: the schema made on first use, separate processes sharing
the store, concurrent writers (PostgreSQL does not serialise them with one database lock), and
connection errors that must not leak the password.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from python_models.style.service import StyleService
from python_models.style.store import ENV_VAR, StyleStore, _metadata

if TYPE_CHECKING:  # imported by pytest as a plugin below: importing it here too would be early
    from tests.postgres_server import PostgresServer

pytest_plugins = ["tests.postgres_server"]

ROOT = Path(__file__).parents[1]
TEXT = "1. Small right pneumothorax. 2. No pleural effusion."


class Background:
    """Run `fn` in a thread; keep its result or exception for the test to check."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self.result = fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def join(self) -> Any:
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "writer still blocked after 60 s"
        if self.error is not None:
            raise self.error
        return self.result

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


def wait_until_blocked_on_a_lock(url: str, task: Background) -> None:
    """Wait until some session of the database waits on a lock (pg_stat_activity), not a sleep."""
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and task.running:
            with engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
            if waiting:
                return
            time.sleep(0.02)
        pytest.fail("the second writer never waited on the first one's lock")
    finally:
        engine.dispose()


def test_schema_is_created_on_first_use_and_kept(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    assert inspect(engine).get_table_names() == []
    store = StyleStore(postgres_url)
    tables = inspect(engine)
    assert sorted(tables.get_table_names()) == ["style_profiles", "style_revision"]
    assert tables.get_pk_constraint("style_profiles")["constrained_columns"] == ["radiologist_id"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, revision FROM style_revision")).all() == [(1, 0)]
    store.put({"radiologist_id": "dr_a"})
    store.close()
    # a second first use (another process starting) keeps the data and the revision
    again = StyleStore(postgres_url)
    assert again.revision() == 1 and again.get("dr_a") is not None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM style_revision")).scalar_one() == 1
    again.close()
    engine.dispose()


def test_values_round_trip_at_the_column_limits(postgres_url: str) -> None:
    """VARCHAR(64) is enforced on PostgreSQL (SQLite ignores it); non-ASCII text is UTF-8."""
    store = StyleStore(postgres_url)
    longest = "d" * 64  # the profile schema's maximum id length
    store.put(
        {
            "radiologist_id": longest,
            "display_name": "Dr Ünal – Ørsted",
            "rules": {"term_preferences": {"5 µm nodule": "5 µm nódulo"}},
        }
    )
    got = store.get(longest)
    assert got is not None and got.display_name == "Dr Ünal – Ørsted"
    assert got.rules.term_preferences == {"5 µm nodule": "5 µm nódulo"}
    assert store.list_profiles()[0][0] == longest
    store.close()


def test_two_stores_see_each_others_writes(postgres_url: str) -> None:
    writer, reader = StyleStore(postgres_url), StyleStore(postgres_url)
    writer.put({"radiologist_id": "dr_a", "rules": {"list_style": "prose"}})
    assert reader.get("dr_a").rules.list_style == "prose" and reader.revision() == 1
    reader.put({"radiologist_id": "dr_a", "rules": {"list_style": "bulleted"}})
    assert writer.get("dr_a").rules.list_style == "bulleted" and writer.revision() == 2
    assert reader.delete("dr_a") and writer.get("dr_a") is None and writer.revision() == 3
    writer.close()
    reader.close()


def test_a_profile_set_by_the_cli_process_reaches_the_service(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    """Another OS process (the CLI) writes; this process's service sees it, no restart."""
    service = StyleService(postgres_url, refresh_s=0.0)
    assert service.apply(TEXT, "dr_a", "XR")[1][0]["code"] == "STYLE_DEFAULT"
    done = subprocess.run(
        [sys.executable, "-m", "python_models.style.cli", "set", "dr_a", "list_style=prose"],
        cwd=ROOT,
        env={**os.environ, ENV_VAR: postgres_url},  # the URL (with its password) not in argv
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "created dr_a" in done.stdout
    assert postgres_server.password not in done.stdout + done.stderr
    styled, warnings = service.apply(TEXT, "dr_a", "XR")
    assert warnings == [] and styled == "Small right pneumothorax. No pleural effusion."


def test_put_of_a_new_id_racing_another_writer_is_an_upsert(postgres_url: str) -> None:
    """Both writers find no row to UPDATE and both INSERT: the loser must replace, not fail.

    Deterministic: the other writer's INSERT is held uncommitted until our put waits on it.
    """
    store = StyleStore(postgres_url)
    other = create_engine(postgres_url)
    with other.connect() as conn:
        conn.execute(
            text(
                "INSERT INTO style_profiles VALUES "
                "('dr_a', 1, '{\"radiologist_id\": \"dr_a\"}', 0), "
                "('dr_b', 1, '{\"radiologist_id\": \"dr_b\"}', 0)"
            )
        )
        put = Background(lambda: store.put({"radiologist_id": "dr_a", "rules": {"units": "mm"}}))
        wait_until_blocked_on_a_lock(postgres_url, put)
        conn.commit()
    put.join()
    assert store.get("dr_a").rules.units == "mm"  # last write wins
    assert [rid for rid, _ in store.list_profiles()] == ["dr_a", "dr_b"]
    assert store.revision() == 1
    other.dispose()
    store.close()


def test_first_use_racing_another_first_use(postgres_url: str) -> None:
    """Two processes opening an empty store at once: the loser's CREATE TABLE must not fail."""
    other = create_engine(postgres_url)
    with other.connect() as conn:
        _metadata.create_all(conn)
        conn.execute(text("INSERT INTO style_revision VALUES (1, 0)"))
        opening = Background(lambda: StyleStore(postgres_url))
        wait_until_blocked_on_a_lock(postgres_url, opening)
        conn.commit()
    store = opening.join()
    assert store.revision() == 0 and store.list_profiles() == []
    other.dispose()
    store.close()


def test_many_writers_at_once_lose_no_write(postgres_url: str) -> None:
    """Eight stores open an empty database and write the same new id together."""
    n = 8
    start = threading.Barrier(n)

    def writer(i: int) -> StyleStore:
        start.wait()
        store = StyleStore(postgres_url)
        store.put({"radiologist_id": "dr_same", "display_name": f"writer {i}"})
        store.put({"radiologist_id": f"dr_{i}"})
        return store

    stores = [task.join() for task in [Background(lambda i=i: writer(i)) for i in range(n)]]
    assert stores[0].revision() == 2 * n  # every write bumped the counter exactly once
    assert len(stores[0].list_profiles()) == n + 1
    assert stores[0].get("dr_same").display_name in {f"writer {i}" for i in range(n)}
    for store in stores:
        store.close()


def _error_of(url: str) -> tuple[BaseException, str]:
    with pytest.raises(Exception) as caught:
        StyleStore(url)
    return caught.value, "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("wrong password", "password authentication failed"),
        ("no such database", 'database "no_such_db" does not exist'),
        ("nothing listening", "Connection refused"),
    ],
)
def test_connection_errors_are_clear_and_hide_the_password(
    postgres_server: PostgresServer, what: str, expected: str
) -> None:
    password = postgres_server.password
    url = {
        "wrong password": postgres_server.url(password=password + "-wrong"),
        "no such database": postgres_server.url("no_such_db"),
        "nothing listening": postgres_server.url().replace(f":{postgres_server.port}/", ":1/"),
    }[what]
    error, text_ = _error_of(url)
    assert isinstance(error, OperationalError) and expected in str(error)
    assert password not in text_


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://user:pass@word9@db.example/styles",  # rest of it is the host
        "postgresql+psycopg://user:pass@word9@db.example:5432/styles",
        "postgresql+psycopg://user:pass@wo:rd9@db.example/styles",  # ... or the port
    ],
)
def test_unescaped_at_in_password_error_does_not_quote_it(url: str) -> None:
    """Without the check, a DNS or int() error quoted the part of the password after '@'."""
    error, text_ = _error_of(url)
    assert isinstance(error, ValueError) and ENV_VAR in str(error)
    assert "percent-encode" in str(error) and "rd9" not in text_


def test_service_with_unreachable_postgres_uses_default_style_and_logs_no_password(
    postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = postgres_server.url(password=postgres_server.password + "-wrong")
    text_, warnings = StyleService(url).apply(TEXT, "dr_a", "XR")
    assert text_.startswith("1. Small right pneumothorax.")
    assert [w["code"] for w in warnings] == ["STYLE_DEFAULT"]
    assert "OperationalError" in caplog.text and postgres_server.password not in caplog.text
    assert "pneumothorax" not in caplog.text  # report text is PHI: never logged


def test_describe_hides_the_password(postgres_server: PostgresServer, postgres_url: str) -> None:
    store = StyleStore(postgres_url)
    assert postgres_server.password in postgres_url
    assert postgres_server.password not in store.describe()
    assert store.describe().startswith("postgresql+psycopg://impressions:***@127.0.0.1:")
    store.close()


def test_cli_with_a_wrong_password_says_so_in_one_line(
    postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from python_models.style import cli

    url = postgres_server.url(password=postgres_server.password + "-wrong")
    assert cli.main(["--db", url, "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("impressions style: the style store") and "cannot be reached" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert postgres_server.password not in err and "password authentication failed" in err
