"""Export jobs beat while they run: a job whose worker died is shown as interrupted within a
minute (not «5 %» for half an hour), the page that shows it writes nothing, and the next start
records it as failed and runs a new one."""
import threading
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.exports import services
from app.exports import summary as data
from app.exports.models import ExportJob
from app.extensions import db
from app.timeutil import utcnow
from helpers import database_fingerprint

T0 = datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc)


def _job(app, email, **values):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        job = ExportJob(municipality_id=user.municipality_id, user_id=user.id, kind="summary",
                        params={"year": 2026, "period": ""}, filename="opora-svodka-2026-god.xlsx", **values)
        db.session.add(job)
        db.session.commit()
        return job.id


def _state(app, job_id):
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        return job.status, job.message, job.updated_at


def _wait_done(auth, url):
    for _ in range(200):
        page = auth.client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        if "Файл готов" in page:
            return page
        assert "прервалась" not in page and "Не удалось" not in page, page
        time.sleep(0.1)
    raise AssertionError("the export did not finish")


def test_a_job_whose_worker_died_is_shown_interrupted_and_a_new_one_starts(app, login_as):
    with time_machine.travel(T0, tick=True) as clock:
        admin = login_as("admin")
        # A worker killed right after its first step: «5 %», then silence.
        dead = _job(app, "admin@opora.demo", status="running", progress=5, message="Сводка по школам")
        job_url = f"/exports/{dead}"

        clock.shift(timedelta(seconds=30))  # within the limit: still running, still polling
        page = admin.client.get(job_url, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "5% — Сводка по школам" in page and 'hx-trigger="load delay:500ms"' in page

        clock.shift(timedelta(seconds=31))  # 61 s without a heartbeat (limit 60 s)
        another = _job(app, "curator@opora.demo", status="running", progress=25, message="Мероприятия")
        before = database_fingerprint(app)
        page = admin.client.get(job_url, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "Выгрузка прервалась, запустите ещё раз" in page
        assert "hx-trigger" not in page and "5%" not in page  # stops polling
        listing = admin.client.get("/exports").get_data(as_text=True)
        assert "прервалась, запустите ещё раз" in listing
        assert admin.client.get(job_url + "/file").status_code == 404
        assert database_fingerprint(app) == before  # decided when read: no GET wrote it
        assert _state(app, dead)[0] == "running"

        # Starting again records the dead job as interrupted and makes a new file.
        resp = admin.post("/exports", data={"year": 2026, "period": ""})
        assert resp.status_code == 302 and resp.headers["Location"] != job_url
        status, _message, _beat = _state(app, dead)
        assert status == "interrupted"
        assert "прервалась" in admin.client.get(job_url).get_data(as_text=True)
        assert _state(app, another)[0] == "running"  # a live job (fresh heartbeat) is left alone
        _wait_done(admin, resp.headers["Location"])
        assert admin.client.get(resp.headers["Location"] + "/file").status_code == 200
        # The page still says why the old one failed.
        assert "Выгрузка прервалась" in admin.client.get(job_url).get_data(as_text=True)


def test_the_limit_is_configurable(app, login_as):
    app.config["EXPORT_STALE_SECONDS"] = 5
    with time_machine.travel(T0, tick=False) as clock:
        admin = login_as("admin")
        job = _job(app, "admin@opora.demo", status="queued")  # never picked up: its process went away
        assert "в очереди" in admin.client.get(f"/exports/{job}").get_data(as_text=True)
        clock.shift(timedelta(seconds=6))
        assert "Выгрузка прервалась" in admin.client.get(f"/exports/{job}").get_data(as_text=True)


def test_progress_and_the_running_thread_touch_the_heartbeat(app, login_as, monkeypatch):
    """Every progress step touches the row; between steps (a long one: writing a big workbook)
    the job's heartbeat thread does, every EXPORT_HEARTBEAT_SECONDS; it stops with the job."""
    app.config["EXPORT_HEARTBEAT_SECONDS"] = 0.05
    seen = {}
    slow_step = data.deficits_frame

    def slow(*args, **kwargs):
        # Runs in the job's thread between two progress steps (60 % and 75 %).
        with db.engine.connect() as conn:
            query = sa.select(ExportJob.updated_at, ExportJob.progress).order_by(ExportJob.id.desc()).limit(1)
            seen["start"] = conn.execute(query).one()
            time.sleep(0.5)
            seen["end"] = conn.execute(query).one()
        return slow_step(*args, **kwargs)

    monkeypatch.setattr(data, "deficits_frame", slow)
    admin = login_as("admin")
    started = utcnow()
    resp = admin.post("/exports", data={"year": 2026, "period": ""})
    _wait_done(admin, resp.headers["Location"])
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])

    (beat_start, progress_start), (beat_end, progress_end) = seen["start"], seen["end"]
    assert progress_start == progress_end == 60  # no progress step meanwhile...
    assert beat_start >= started and beat_end - beat_start >= timedelta(seconds=0.2)  # ...yet it beat
    status, _message, finished_beat = _state(app, job_id)
    assert status == "done" and finished_beat >= beat_end
    assert not [t for t in threading.enumerate() if t.name == f"export-{job_id}-heartbeat"]

    # A finished job is not touched any more (a late beat cannot bring it back to life).
    with app.app_context():
        services.touch(job_id)
        db.session.commit()
    assert _state(app, job_id)[2] == finished_beat
