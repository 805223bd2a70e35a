"""Two app server processes on one PostgreSQL database behave as one: a change made through
one shows up in the other's change feed (all collaboration state is in the database)."""
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.programmes.models import Task
from helpers import HttpSession

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="needs PostgreSQL (make test-postgres runs it)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(database_url):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="two-process-test-key", FLASK_APP="wsgi.py")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "run", "--port", str(port), "--no-reload"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def test_change_through_one_process_is_seen_through_the_other(app, demo, database_url):
    first, first_url = _start(database_url)
    second, second_url = _start(database_url)
    try:
        school, tutor = HttpSession(first_url), HttpSession(second_url)
        school.login("school@opora.demo")
        tutor.login("tutor@opora.demo")
        pid = demo["programme"]
        _status, page, _h = tutor.request("GET", f"/programmes/{pid}")
        live_url = re.search(r'hx-get="(/programmes/\d+/live\?[^"]+)"', page).group(1).replace("&amp;", "&")
        status, _body, _h = tutor.request("GET", live_url, headers={"HX-Request": "true"})
        assert status in (200, 204)
        with app.app_context():
            task = db.session.scalar(sa.select(Task).where(Task.programme_id == pid, Task.status == "planned"))
        status, _body, _h = school.htmx_post(f"/tasks/{task.id}/status", {"status": "done", "version": task.version})
        assert status == 200
        status, body, _h = tutor.request("GET", live_url, headers={"HX-Request": "true"})
        assert status == 200
        assert f'id="task-{task.id}"' in body and 'value="done" selected' in body
        # And the school (on the first process) sees the tutor's presence recorded by the second.
        _status, page, _h = school.request("GET", f"/programmes/{pid}")
        assert "Петрова Елена Николаевна" in page.split('id="presence"', 1)[1].split("</p>", 1)[0]
    finally:
        for proc in (first, second):
            proc.terminate()
            proc.wait(timeout=10)
