"""Faults: an import killed mid-way leaves nothing behind."""
import os
import signal
import subprocess
import sys
import textwrap

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = textwrap.dedent('''
    import io, sys, time
    import openpyxl
    from werkzeug.datastructures import FileStorage
    sys.path.insert(0, {root!r})
    from app import create_app
    from app.extensions import db
    from app.teachers import services
    from app.accounts.models import User
    from app.orgs.models import Organisation

    app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}}})
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(services.IMPORT_HEADERS))
    for i in range(1500):
        sheet.append([f"Педагог импорта {{i}}", "учитель", "математика", 5, "первая", "нет"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    with app.app_context():
        flush = db.session.flush

        def slow_flush(*args, **kwargs):
            flush(*args, **kwargs)  # the rows are written to the database, not yet committed…
            print("FLUSHED", flush=True)
            time.sleep(60)           # …and here the process is killed

        db.session.flush = slow_flush
        admin = db.session.scalar(db.select(User).where(User.email == "admin@opora.demo"))
        school = db.session.scalar(db.select(Organisation).where(Organisation.short_name == "Павловская СОШ"))
        services.import_teachers(admin, school, FileStorage(buffer, filename="teachers.xlsx"))
''')


def test_import_killed_midway_leaves_nothing(app, database_url):
    count = "SELECT count(*) FROM teacher WHERE full_name LIKE 'Педагог импорта%'"
    proc = subprocess.Popen([sys.executable, "-c", CHILD.format(root=ROOT, url=database_url)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "FLUSHED", proc.stderr.read()[-2000:]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text(count)).scalar() == 0
    finally:
        engine.dispose()
    # The application works on afterwards (SQLite's write lock and PostgreSQL's locks are released).
    with app.test_client() as client:
        assert client.get("/healthz").status_code == 200
