"""`flask backup` / `flask restore`: a round trip on the engine under test (SQLite here,
PostgreSQL under tests/run_postgres.py), refusals that change nothing, uploads archive."""
import os
import tarfile

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.backup import find_pg_tool
from app.extensions import db
from app.orgs.models import Organisation
from helpers import FAST_HASH, database_fingerprint

SCHOOL = "Павловская СОШ"
NEW_EMAIL = "after-backup@opora.demo"


def _change_data(app):
    """Rename a school and add a user: what the restore must undo."""
    with app.app_context():
        school = db.session.scalar(sa.select(Organisation).where(Organisation.short_name == SCHOOL))
        school.short_name = "Переименованная СОШ"
        user = User(email=NEW_EMAIL, full_name="Новый Пользователь", role="observer",
                    municipality_id=school.municipality_id)
        user.set_password("Changed12345")
        db.session.add(user)
        db.session.commit()
        db.session.remove()


def _state(app):
    with app.app_context():
        names = set(db.session.scalars(sa.select(Organisation.short_name)))
        new_user = db.session.scalar(sa.select(User.id).where(User.email == NEW_EMAIL))
        db.session.remove()
    return names, new_user


def _skip_unless(database_url, backend):
    if not database_url.startswith(backend):
        pytest.skip(f"this test runs on {backend} only")


def _round_trip(app, runner, out):
    before = database_fingerprint(app)
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Резервная копия базы данных записана" in result.output and out.exists()
    assert "загруженные файлы хранятся не в базе" in result.output

    _change_data(app)
    names, new_user = _state(app)
    assert SCHOOL not in names and new_user is not None
    assert database_fingerprint(app) != before

    result = runner.invoke(args=["restore", str(out), "--yes"])
    assert result.exit_code == 0, result.output
    assert "База данных восстановлена" in result.output and "версия схемы" in result.output
    assert "flask db upgrade" not in result.output  # the backup has the current schema

    # The same app (its engine was disposed by the restore) reads the data as at backup time.
    names, new_user = _state(app)
    assert SCHOOL in names and "Переименованная СОШ" not in names
    assert new_user is None
    assert database_fingerprint(app) == before
    # And it can still write, and sign someone in.
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "admin@opora.demo"))
        assert user.check_password("demo12345")
        user.full_name = user.full_name + " "
        db.session.commit()
        db.session.remove()


def test_sqlite_round_trip(app, runner, database_url, tmp_path):
    _skip_unless(database_url, "sqlite")
    out = tmp_path / "backups" / "opora.db"
    out.parent.mkdir()
    _round_trip(app, runner, out)
    # The backup is one self-contained SQLite file (no -wal beside it).
    assert out.read_bytes()[:16] == b"SQLite format 3\x00"
    assert not os.path.exists(str(out) + "-wal")


def test_postgres_round_trip(app, runner, database_url, tmp_path):
    _skip_unless(database_url, "postgresql")
    if not (find_pg_tool("pg_dump") and find_pg_tool("pg_restore")):
        pytest.skip("pg_dump / pg_restore not found")
    out = tmp_path / "opora.dump"
    _round_trip(app, runner, out)
    assert out.read_bytes()[:5] == b"PGDMP"


def test_restore_without_yes_refuses_and_changes_nothing(app, runner, tmp_path):
    out = tmp_path / "opora.backup"
    assert runner.invoke(args=["backup", "--out", str(out)]).exit_code == 0
    _change_data(app)
    before = database_fingerprint(app)
    result = runner.invoke(args=["restore", str(out)])
    assert result.exit_code != 0
    assert "--yes" in result.output and "заменит" in result.output
    assert database_fingerprint(app) == before
    names, new_user = _state(app)
    assert SCHOOL not in names and new_user is not None


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path, database_url):
    before = database_fingerprint(app)
    junk = tmp_path / "notes.txt"
    junk.write_text("это не резервная копия\n" * 10, encoding="utf-8")
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0
    assert ("не файл базы SQLite" if database_url.startswith("sqlite") else "не архив pg_dump") in result.output
    missing = runner.invoke(args=["restore", str(tmp_path / "nowhere.db"), "--yes"])
    assert missing.exit_code != 0 and "не найден" in missing.output
    assert database_fingerprint(app) == before


def test_backup_into_a_missing_folder_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["backup", "--out", str(tmp_path / "no" / "such" / "x.db")])
    assert result.exit_code != 0 and "не существует" in result.output


def test_uploads_archive_round_trip(app, runner, tmp_path, database_url):
    if database_url.startswith("postgresql") and not (find_pg_tool("pg_dump") and find_pg_tool("pg_restore")):
        pytest.skip("pg_dump / pg_restore not found")
    folder = app.config["UPLOAD_FOLDER"]
    os.makedirs(os.path.join(folder, "2026"), exist_ok=True)
    with open(os.path.join(folder, "2026", "protocol.pdf"), "wb") as fh:
        fh.write(b"%PDF-1.4 protocol")
    out = tmp_path / "opora.backup"
    result = runner.invoke(args=["backup", "--out", str(out), "--with-uploads"])
    assert result.exit_code == 0, result.output
    archive = str(out) + ".uploads.tar.gz"
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["2026/protocol.pdf"]

    os.unlink(os.path.join(folder, "2026", "protocol.pdf"))
    result = runner.invoke(args=["restore", str(out), "--yes", "--with-uploads"])
    assert result.exit_code == 0, result.output
    with open(os.path.join(folder, "2026", "protocol.pdf"), "rb") as fh:
        assert fh.read() == b"%PDF-1.4 protocol"


def test_restore_with_uploads_needs_the_archive(app, runner, tmp_path):
    out = tmp_path / "opora.backup"
    assert runner.invoke(args=["backup", "--out", str(out)]).exit_code == 0
    before = database_fingerprint(app)
    result = runner.invoke(args=["restore", str(out), "--yes", "--with-uploads"])
    assert result.exit_code != 0 and "uploads.tar.gz" in result.output
    assert database_fingerprint(app) == before


def test_restore_is_seen_by_another_app_on_the_same_database(app, runner, database_url, tmp_path):
    """A second app (another gunicorn worker) with a pooled connection sees the restored data."""
    from app import create_app

    if database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: pg_restore --clean needs the other sessions to be idle; covered by the round trip")
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "PASSWORD_HASH_METHOD": FAST_HASH})
    out = tmp_path / "opora.backup"
    assert runner.invoke(args=["backup", "--out", str(out)]).exit_code == 0
    assert SCHOOL in _state(other)[0]  # its pool now holds a connection
    _change_data(app)
    assert SCHOOL not in _state(other)[0]
    assert runner.invoke(args=["restore", str(out), "--yes"]).exit_code == 0
    assert SCHOOL in _state(other)[0]
    with other.app_context():
        db.engine.dispose()
