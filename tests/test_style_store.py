"""Style store, the service's cache, and the `impressions style` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from python_models.style import cli
from python_models.style.profile import ProfileError
from python_models.style.service import StyleService
from python_models.style.store import ENV_VAR, StyleStore, resolve_store_url

# The `postgres_url` fixture: a real PostgreSQL server (tests/postgres_server.py).
pytest_plugins = ["tests.postgres_server"]

EXAMPLES = Path(__file__).parents[1] / "python_models/style/examples"
TEXT = "1. Small right pneumothorax. 2. No pleural effusion."


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store on each backend the docs promise: a SQLite path, or PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "s.sqlite")
    return str(request.getfixturevalue("postgres_url"))


def test_store_location_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_store_url() == f"sqlite:///{tmp_path}/.local/share/impressions/styles.sqlite"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "a.sqlite"))
    assert resolve_store_url() == f"sqlite:///{tmp_path}/a.sqlite"
    monkeypatch.setenv(ENV_VAR, "postgresql+psycopg://u:p@db/styles")
    assert resolve_store_url() == "postgresql+psycopg://u:p@db/styles"
    assert resolve_store_url("sqlite:///x.db") == "sqlite:///x.db"


def test_store_is_created_on_first_use_in_a_new_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "styles.sqlite"
    StyleStore(str(path))
    assert path.exists()


def test_crud_and_revision(store_url: str) -> None:
    store = StyleStore(store_url)
    assert store.revision() == 0 and store.get("dr_a") is None
    store.put({"radiologist_id": "dr_a", "rules": {"list_style": "prose"}})
    store.put({"radiologist_id": "dr_b"})
    assert store.get("dr_a").rules.list_style == "prose"
    store.put({"radiologist_id": "dr_a", "rules": {"list_style": "bulleted"}})
    assert store.get("dr_a").rules.list_style == "bulleted"
    assert [rid for rid, _ in store.list_profiles()] == ["dr_a", "dr_b"]
    assert store.revision() == 3
    assert store.delete("dr_a") and not store.delete("dr_a")
    assert store.revision() == 4
    with pytest.raises(ProfileError, match="rules.list_style"):
        store.put({"radiologist_id": "dr_c", "rules": {"list_style": "table"}})
    assert store.get("dr_c") is None


def test_unknown_and_missing_radiologist(store_url: str) -> None:
    service = StyleService(store_url)
    text, warnings = service.apply(TEXT, None, "XR")
    assert text == "1. Small right pneumothorax.\n2. No pleural effusion." and warnings == []
    assert service.apply(TEXT, "  ", "XR")[1] == []
    text2, warnings = service.apply(TEXT, "dr_nobody", "XR")
    assert text2 == text
    assert [(w["code"], w["severity"]) for w in warnings] == [("STYLE_DEFAULT", "warn")]
    assert "dr_nobody" in warnings[0]["message"]


def test_unreachable_store_gives_default_style(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    service = StyleService(str(blocker / "sub" / "s.sqlite"))  # parent is a file
    text, warnings = service.apply(TEXT, "dr_a", "XR")
    assert text.startswith("1. Small right pneumothorax.")
    assert [w["code"] for w in warnings] == ["STYLE_DEFAULT"]


def test_service_picks_up_changes_without_restart(store_url: str) -> None:
    url = store_url
    writer = StyleStore(url)
    writer.put({"radiologist_id": "dr_a", "rules": {"laterality_case": "upper"}})
    clock = FakeClock()
    service = StyleService(url, refresh_s=1.0, clock=clock)
    assert "RIGHT" in service.apply(TEXT, "dr_a", None)[0]

    writer.put({"radiologist_id": "dr_a", "rules": {"laterality_case": "lower"}})
    clock.now += 0.5  # within the refresh interval: the cached profile is still used
    assert "RIGHT" in service.apply(TEXT, "dr_a", None)[0]
    clock.now += 1.0
    assert "right" in service.apply(TEXT, "dr_a", None)[0]

    writer.delete("dr_a")
    clock.now += 1.5
    assert service.apply(TEXT, "dr_a", None)[1][0]["code"] == "STYLE_DEFAULT"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_show_list_export_delete(
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, store_url)
    files = sorted(str(p) for p in EXAMPLES.glob("*.json"))
    code, out, _ = _run(capsys, "import", *files)
    assert code == 0 and out.count("imported") == len(files)

    code, out, _ = _run(capsys, "list")
    assert [line.split("\t")[0] for line in out.splitlines()] == [Path(f).stem for f in files]

    code, out, _ = _run(capsys, "show", "dr_evans", "--modality", "XR")
    assert code == 0
    assert json.loads(out.split("# effective")[0])["radiologist_id"] == "dr_evans"
    assert '"list_style": "prose"' in out.split("# effective")[1]

    export = tmp_path / "all.json"
    assert _run(capsys, "export", "-o", str(export))[0] == 0
    assert len(json.loads(export.read_text())) == len(files)

    assert _run(capsys, "delete", "dr_adams")[0] == 0
    code, _, err = _run(capsys, "show", "dr_adams")
    assert code == 1 and "no style profile for 'dr_adams'" in err
    # the exported file imports back
    assert _run(capsys, "import", str(export))[0] == 0
    assert StyleStore(store_url).get("dr_adams") is not None


def test_cli_set_creates_and_validates(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = store_url
    code, out, _ = _run(
        capsys,
        "--db",
        db,
        "set",
        "dr_a",
        "list_style=prose",
        "overrides.CT.numbering=1)",
        'term_preferences={"fatty liver": "hepatic steatosis"}',
        "display_name=Dr A",
    )
    assert code == 0 and "created dr_a" in out
    profile = StyleStore(db).get("dr_a")
    assert profile.rules.list_style == "prose" and profile.rules_for("CT").numbering == "1)"
    assert profile.rules.term_preferences == {"fatty liver": "hepatic steatosis"}
    assert profile.display_name == "Dr A"

    code, _, err = _run(capsys, "--db", db, "set", "dr_a", "units=inches")
    assert code == 1 and "rules.units" in err
    assert StyleStore(db).get("dr_a").rules.units == "as_written"  # unchanged

    assert _run(capsys, "--db", db, "set", "dr_a", "overrides.CT.numbering=null")[0] == 0
    assert StyleStore(db).get("dr_a").rules_for("CT").numbering == "1."


def test_cli_import_rejects_invalid_file_and_stores_nothing(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = store_url
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [{"radiologist_id": "dr_ok"}, {"radiologist_id": "dr_bad", "rules": {"max_items": 0}}]
        )
    )
    code, _, err = _run(capsys, "--db", db, "import", str(bad))
    assert code == 1 and "rules.max_items" in err
    assert StyleStore(db).list_profiles() == []
