"""Where style profiles live: a small repository class on SQLAlchemy.

The default is an embedded SQLite file, created on first use; any SQLAlchemy URL (e.g.
``postgresql+psycopg://...``) works instead with no code change. The CLI and the served
postprocess model resolve the location with the same rule (`resolve_store_url`), so a profile
written by `impressions style set` is read by the running server. A `revision` counter that
every write bumps lets readers notice a change with one cheap query.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, ProgrammingError

from python_models.style.profile import StyleProfile, parse_profile

ENV_VAR = "IMPRESSIONS_STYLE_DB"
DEFAULT_PATH = Path("~/.local/share/impressions/styles.sqlite")

_metadata = MetaData()
profiles_table = Table(
    "style_profiles",
    _metadata,
    Column("radiologist_id", String(64), primary_key=True),
    Column("schema_version", Integer, nullable=False),
    Column("profile_json", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)
revision_table = Table(
    "style_revision",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", Integer, nullable=False),
)


def resolve_store_url(store_url: str | None = None) -> str:
    """The SQLAlchemy URL of the store: argument, else $IMPRESSIONS_STYLE_DB, else the default.

    A value without ``://`` is a path to a SQLite file.
    """
    value = store_url or os.environ.get(ENV_VAR) or str(DEFAULT_PATH)
    if "://" in value:
        return value
    path = Path(value).expanduser().resolve()
    return f"sqlite:///{path}"


class StyleStore:
    """CRUD for profiles; every value read back is a validated `StyleProfile`."""

    def __init__(self, store_url: str | None = None) -> None:
        self.url = resolve_store_url(store_url)
        try:
            parsed = make_url(self.url)
        except (ArgumentError, ValueError):
            parsed = None
        # An unescaped '@' in a password puts the rest of it in the host or the port, and the
        # parser's or resolver's message would quote it: say so without any detail.
        if parsed is None or "@" in (parsed.host or ""):
            raise ValueError(
                f"{ENV_VAR}: not a SQLAlchemy URL or path (percent-encode '@', ':' or '/' in a "
                "password)"
            )
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(parsed, future=True)
        self._create_schema()

    def _create_schema(self) -> None:
        """Tables and the revision row, on first use; safe when another process does it too.

        On a server database (PostgreSQL) two first uses can race: the loser's CREATE TABLE or
        revision-row INSERT fails once the winner commits, and a retry then finds both there.
        """
        for attempt in range(3):
            try:
                _metadata.create_all(self.engine)
                with self.engine.begin() as conn:
                    if conn.execute(select(revision_table.c.revision)).first() is None:
                        conn.execute(revision_table.insert().values(id=1, revision=0))
                return
            except (IntegrityError, ProgrammingError):
                if attempt == 2:
                    raise

    def describe(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    def revision(self) -> int:
        """A counter bumped by every write and delete: the cache key of readers."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(revision_table.c.revision)).scalar_one())

    def get(self, radiologist_id: str) -> StyleProfile | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(profiles_table.c.profile_json).where(
                    profiles_table.c.radiologist_id == radiologist_id
                )
            ).first()
        return None if row is None else parse_profile(row[0])

    def list_profiles(self) -> list[tuple[str, float]]:
        """(radiologist_id, updated_at) of every profile, sorted by id."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(profiles_table.c.radiologist_id, profiles_table.c.updated_at).order_by(
                    profiles_table.c.radiologist_id
                )
            ).all()
        return [(r[0], float(r[1])) for r in rows]

    def put(self, profile: StyleProfile | dict) -> StyleProfile:
        """Insert or replace a profile; dicts are validated first (ProfileError when invalid)."""
        if not isinstance(profile, StyleProfile):
            profile = parse_profile(profile)
        payload = json.dumps(profile.model_dump(mode="json", exclude_defaults=False), indent=None)
        values = {
            "schema_version": profile.schema_version,
            "profile_json": payload,
            "updated_at": time.time(),
        }
        replace = (
            update(profiles_table)
            .where(profiles_table.c.radiologist_id == profile.radiologist_id)
            .values(**values)
        )
        with self.engine.begin() as conn:
            done = conn.execute(replace)
            if done.rowcount == 0:
                try:
                    with conn.begin_nested():  # a savepoint: a failed INSERT keeps the transaction
                        conn.execute(
                            profiles_table.insert().values(
                                radiologist_id=profile.radiologist_id, **values
                            )
                        )
                except IntegrityError:
                    # Another writer inserted this id after our UPDATE (PostgreSQL does not
                    # serialise the two like SQLite's database lock): last write wins.
                    if conn.execute(replace).rowcount != 1:
                        raise  # not the duplicate key: nothing was saved, say so
            self._bump(conn)
        return profile

    def delete(self, radiologist_id: str) -> bool:
        """Remove a profile; False when there was none."""
        with self.engine.begin() as conn:
            done = conn.execute(
                delete(profiles_table).where(profiles_table.c.radiologist_id == radiologist_id)
            )
            if done.rowcount:
                self._bump(conn)
        return bool(done.rowcount)

    @staticmethod
    def _bump(conn: Connection) -> None:
        conn.execute(update(revision_table).values(revision=revision_table.c.revision + 1))

    def close(self) -> None:
        self.engine.dispose()
