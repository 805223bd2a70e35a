"""Operator commands `flask backup` and `flask restore`.

SQLite: the sqlite3 online backup API (consistent while the app runs, WAL included) into a
single self-contained file; restore copies it back through the same API, so processes that
keep the database open see the restored data at their next transaction.
PostgreSQL: `pg_dump --format=custom` / `pg_restore --clean --if-exists --single-transaction`.
The password is passed to pg_dump / pg_restore in PGPASSWORD, never on the command line.
Uploaded files live outside the database: `--with-uploads` writes (or unpacks) PATH.uploads.tar.gz.
"""
import glob
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime

import click
import sqlalchemy as sa

from .extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def init_app(app):
    @app.cli.command("backup")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
                  help="Файл резервной копии")
    @click.option("--with-uploads", is_flag=True, help="Ещё и архив загруженных файлов: OUT.uploads.tar.gz")
    def backup_command(out, with_uploads):
        """Back up the database (SQLite online backup or pg_dump) into OUT."""
        out = os.path.abspath(out)
        parent = os.path.dirname(out)
        if not os.path.isdir(parent):
            raise click.ClickException(f"Папка «{parent}» не существует.")
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url), out)
            kind = "SQLite"
        elif url.get_backend_name() == "postgresql":
            _pg_dump(url, out)
            kind = "PostgreSQL, pg_dump"
        else:
            raise click.ClickException(f"Резервное копирование для «{url.get_backend_name()}» не поддерживается.")
        click.echo(f"Резервная копия базы данных записана: {out} ({kind}, {_size(out)}).")
        uploads = app.config["UPLOAD_FOLDER"]
        if with_uploads:
            archive, count = _pack_uploads(uploads, out + ".uploads.tar.gz")
            click.echo(f"Загруженные файлы ({count}) записаны: {archive}.")
        else:
            click.echo(f"Внимание: загруженные файлы хранятся не в базе, а в папке {uploads} — "
                       "копируйте её отдельно или запускайте с --with-uploads.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--yes", is_flag=True, help="Подтверждаю: текущие данные будут заменены")
    @click.option("--with-uploads", is_flag=True, help="Ещё и распаковать PATH.uploads.tar.gz в папку загрузок")
    def restore_command(path, yes, with_uploads):
        """Replace the current database with the backup PATH (needs --yes)."""
        path = os.path.abspath(path)
        if not os.path.isfile(path):
            raise click.ClickException(f"Файл резервной копии «{path}» не найден.")
        try:
            with open(path, "rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise click.ClickException(f"Не удалось прочитать «{path}»: {exc.strerror or exc}.") from exc
        archive = path + ".uploads.tar.gz"
        if with_uploads and not os.path.isfile(archive):
            raise click.ClickException(f"Архив загруженных файлов «{archive}» не найден.")
        url = db.engine.url
        backend = url.get_backend_name()
        if backend == "sqlite" and not head.startswith(SQLITE_MAGIC):
            raise click.ClickException(f"«{path}» — не файл базы SQLite: восстановление отменено.")
        if backend == "postgresql" and not head.startswith(PGDUMP_MAGIC):
            hint = " (это файл SQLite)" if head.startswith(SQLITE_MAGIC) else ""
            raise click.ClickException(
                f"«{path}» — не архив pg_dump (--format=custom){hint}: восстановление отменено.")
        if backend not in ("sqlite", "postgresql"):
            raise click.ClickException(f"Восстановление для «{backend}» не поддерживается.")
        if not yes:
            raise click.ClickException(
                "Восстановление заменит ВСЕ текущие данные базы данными из резервной копии; изменения, "
                "сделанные после её создания, будут потеряны. Сделайте свежую копию (flask backup) и "
                "повторите команду с --yes.")

        db.session.remove()
        db.engine.dispose()  # no pooled connection keeps the old data (or a lock) after the restore
        if backend == "sqlite":
            _sqlite_restore(path, _sqlite_file(url))
        else:
            _pg_restore(url, path)
        db.engine.dispose()

        revision, heads = _schema_revision(app)
        stamp = datetime.fromtimestamp(os.path.getmtime(path)).strftime("%d.%m.%Y %H:%M")
        click.echo(f"База данных восстановлена из {path} (копия от {stamp}); версия схемы: {revision or '—'}.")
        if heads and revision not in heads:
            click.echo("Схема копии старше кода: выполните flask db upgrade.")
        if with_uploads:
            count = _unpack_uploads(archive, app.config["UPLOAD_FOLDER"])
            click.echo(f"Загруженные файлы ({count}) восстановлены в {app.config['UPLOAD_FOLDER']}.")


# --- SQLite ---------------------------------------------------------------------------------

def _sqlite_file(url):
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise click.ClickException("База SQLite не в файле: резервное копирование невозможно.")
    return os.path.abspath(path)


def _sqlite_backup(source, out):
    if not os.path.isfile(source):
        raise click.ClickException(f"Файл базы данных «{source}» не найден.")
    if os.path.exists(out) and os.path.samefile(source, out):
        raise click.ClickException("Копию нельзя записать в сам файл базы данных.")
    fd, tmp = tempfile.mkstemp(prefix=".opora-backup-", suffix=".db", dir=os.path.dirname(out))
    os.close(fd)
    try:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            # One self-contained file: no -wal beside it, readable read-only.
            dst.execute("PRAGMA journal_mode=DELETE")
            if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise click.ClickException("Проверка копии не прошла: копия повреждена, повторите.")
        finally:
            dst.close()
            src.close()
        os.replace(tmp, out)
    except sqlite3.Error as exc:
        raise click.ClickException(f"Ошибка SQLite при копировании: {exc}.") from exc
    except OSError as exc:
        raise click.ClickException(f"Не удалось записать копию: {exc.strerror or exc}.") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _sqlite_restore(path, target):
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise click.ClickException(f"Файл «{path}» повреждён: восстановление отменено.")
            dst = sqlite3.connect(target, timeout=30)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise click.ClickException(f"Ошибка SQLite при восстановлении: {exc}.") from exc


# --- PostgreSQL -----------------------------------------------------------------------------

def find_pg_tool(name):
    """pg_dump / pg_restore: on PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _version_key(folder):
    version = os.path.basename(os.path.dirname(folder))
    return [int(p) if p.isdigit() else 0 for p in version.split(".")]


def _libpq(url):
    """SQLAlchemy URL → (libpq URL without the password, environment with PGPASSWORD)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = sa.engine.URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                                 database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def _run_pg(name, args, env):
    tool = find_pg_tool(name)
    if tool is None:
        raise click.ClickException(
            f"Не найдена программа {name}: установите клиент PostgreSQL (apt-get install postgresql-client).")
    try:
        result = subprocess.run([tool, *args], env=env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True)
    except OSError as exc:
        raise click.ClickException(f"Не удалось запустить {tool}: {exc.strerror or exc}.") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise click.ClickException(f"{name} завершился с ошибкой (код {result.returncode}):\n{detail}")
    return result


def _pg_dump(url, out):
    conninfo, env = _libpq(url)
    tmp = out + ".part"
    try:
        _run_pg("pg_dump", ["--format=custom", "--no-owner", "--file", tmp, conninfo], env)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _pg_restore(url, path):
    conninfo, env = _libpq(url)
    # One transaction: a failed restore leaves the database as it was.
    _run_pg("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                           "--dbname", conninfo, path], env)


# --- shared ---------------------------------------------------------------------------------

def _schema_revision(app):
    """The restored database's Alembic revision and the code's heads (to suggest an upgrade)."""
    revision, heads = None, ()
    try:
        with db.engine.connect() as conn:
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.SQLAlchemyError:
        pass
    finally:
        db.engine.dispose()
    migrate = app.extensions.get("migrate")
    if migrate is not None:
        try:
            from alembic.script import ScriptDirectory

            heads = tuple(ScriptDirectory(migrate.directory).get_heads())
        except Exception:  # a missing migrations folder only loses the hint
            heads = ()
    return revision, heads


def _pack_uploads(folder, archive):
    count = 0
    tmp = archive + ".part"
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            if os.path.isdir(folder):
                for root, _dirs, files in os.walk(folder):
                    for name in sorted(files):
                        full = os.path.join(root, name)
                        tar.add(full, arcname=os.path.relpath(full, folder), recursive=False)
                        count += 1
        os.replace(tmp, archive)
    except OSError as exc:
        raise click.ClickException(f"Не удалось записать архив файлов: {exc.strerror or exc}.") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return archive, count


def _unpack_uploads(archive, folder):
    """Unpack into the uploads folder: files of the archive overwrite, others stay."""
    try:
        os.makedirs(folder, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            tar.extractall(folder, members=members, filter="data")  # no absolute paths, no "..", no links
    except (OSError, tarfile.TarError) as exc:
        raise click.ClickException(f"Не удалось распаковать архив файлов: {exc}.") from exc
    return len(members)


def _size(path):
    size = os.path.getsize(path)
    for unit in ("Б", "КБ", "МБ"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "Б" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} ГБ"
