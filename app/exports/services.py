"""Building the summary workbook and the programme document; export jobs in the background."""
import logging
import os
import threading
import time
from datetime import timedelta

import pandas as pd
from flask import current_app
from sqlalchemy import update

from .. import policy, timeutil, transaction
from ..accounts.models import User
from ..activity.labels import N_
from ..extensions import db
from ..orgs.models import Municipality, Partnership
from ..programmes import services as programmes
from ..timeutil import utcnow
from . import summary as data
from .models import ExportJob
from .workbook import write_programme, write_summary

log = logging.getLogger("opora.exports")
# Columns of free text (typed by people, may name a teacher): not in a workbook for readers
# who do not read free text (policy.TEXT_READERS). Tasks and indicators get their own sheets.
PEOPLE_TEXT = {"Выезды": ["Выводы", "Цель"], "Рекомендации": ["Рекомендация", "Кому"]}


def summary_workbook(target, scope_query, municipality, year, period="", audience="department", progress=None,
                     today=None):
    """Write the department summary for the partnerships in `scope_query`.
    audience "observer": no free text that may name a teacher, only aggregates. `progress(value,
    message)` gets each step; the message is a msgid, translated when the job page shows it."""
    today = today or timeutil.today(municipality)
    step = progress or (lambda value, message: None)
    step(5, N_("Сводка по школам"))
    rows = data.summary_rows(scope_query, municipality.id, year, period, today)
    summary = pd.DataFrame(rows)
    partnership_ids = [r["partnership_id"] for r in rows]
    programme_ids = [r["programme_id"] for r in rows if r["programme_id"]]
    school_names = {r["partnership_id"]: r["Школа"] for r in rows}
    by_programme = {r["programme_id"]: r["Школа"] for r in rows if r["programme_id"]}
    by_school = {r["school_id"]: r["Школа"] for r in rows}
    start, end = data.period_range(year, period)
    observer = audience == "observer"
    step(25, N_("Мероприятия"))
    span = (start, end) if period else ()
    tasks = (data.task_counts_frame(programme_ids, school_names, today, *span) if observer
             else data.tasks_frame(programme_ids, school_names, today, *span))
    step(45, N_("Показатели"))
    indicators = data.indicators_frame(programme_ids, by_programme, names=not observer)
    step(60, N_("Выезды и рекомендации"))
    visits = data.visits_frame(partnership_ids, school_names, start, end)
    recommendations = data.recommendations_frame(partnership_ids, school_names, today)
    if observer:
        visits = visits.drop(columns=PEOPLE_TEXT["Выезды"])
        recommendations = recommendations.drop(columns=PEOPLE_TEXT["Рекомендации"])
    deficits = data.deficits_frame(list(by_school), by_school)
    card, _card = data.card_frame(municipality.id, year, None if audience != "curator" else set(by_school))
    step(75, N_("Запись книги Excel"))
    meta = {"title": f"Сводка по сопровождению школ: {municipality.name}",
            "subtitle": f"{year}/{year + 1} учебный год, {data.PERIODS[period]}; на {today.strftime('%d.%m.%Y')}"}
    write_summary(target, summary, tasks, indicators, visits, recommendations, deficits, card, meta)
    step(100, N_("Готово"))
    return len(rows)


def audience_of(user):
    """Who the summary is for: "observer" when the user reads no free text (the same policy rule
    as the pages), "curator" (their schools' card rows), or the whole "department"."""
    if not policy.reads_text(user):
        return "observer"
    return "curator" if user.role == "curator" else "department"


def programme_workbook(target, programme):
    page = programmes.page_data(programme)
    write_programme(target, programme, page["goals"], page["sections"], page["tasks_by_section"], page["numbers"],
                    page["indicators"], page["periods"], page["values"])


# --- Jobs ---------------------------------------------------------------------------------

def recent_jobs(user, limit=10):
    return db.session.scalars(db.select(ExportJob).where(ExportJob.user_id == user.id)
                              .order_by(ExportJob.id.desc()).limit(limit)).all()


def export_folder():
    folder = current_app.config["EXPORT_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def job_path(job):
    return os.path.join(export_folder(), f"{job.id}.xlsx")


def stale_seconds():
    return current_app.config["EXPORT_STALE_SECONDS"]


def sweep_interrupted(now=None):
    """Record as failed every queued or running job whose heartbeat stopped (its worker thread
    or process died). A write path: called when a job starts; pages only show it (shown_status)."""
    cutoff = (now or utcnow()) - timedelta(seconds=stale_seconds())
    beat = db.func.coalesce(ExportJob.updated_at, ExportJob.created_at)
    result = db.session.execute(update(ExportJob).where(ExportJob.status.in_(("queued", "running")), beat < cutoff)
                                .values(status="interrupted", finished_at=utcnow())
                                .execution_options(synchronize_session=False))
    return result.rowcount


class Heartbeat:
    """While a job runs, a small thread touches its row every few seconds, so a long step (a
    large workbook being written) still beats; when the process dies, the beat stops with it.
    It touches only a job still queued or running, in its own session and transaction."""

    def __init__(self, app, job_id, seconds=None):
        self.app, self.job_id = app, job_id
        self.seconds = seconds or app.config["EXPORT_HEARTBEAT_SECONDS"]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"export-{job_id}-heartbeat")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()

    def _beat(self):
        deadline = time.monotonic() + self.app.config["EXPORT_MAX_SECONDS"]
        with self.app.app_context():
            try:
                # A job stuck past the deadline (alive but hung) stops beating: it reads as interrupted.
                while not self.stopped.wait(self.seconds) and time.monotonic() < deadline:
                    touch(self.job_id)
                    transaction.commit()
            except Exception:  # a missed beat is not the job's failure; the job's own steps beat too
                log.exception("export %s heartbeat failed", self.job_id)
                db.session.rollback()
            finally:
                db.session.remove()


def touch(job_id):
    db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status.in_(("queued", "running")))
                       .values(updated_at=utcnow()).execution_options(synchronize_session=False))


def start_summary_job(user, year, period):
    sweep_interrupted()
    job = ExportJob(municipality_id=user.municipality_id, user_id=user.id, kind="summary",
                    params={"year": year, "period": period}, filename=f"opora-svodka-{year}-{period or 'god'}.xlsx")
    db.session.add(job)
    # Durable before the job starts: its thread reads the row in a session of its own.
    transaction.commit()
    app = current_app._get_current_object()
    if app.config.get("EXPORTS_INLINE"):
        _run(app, job.id)
    else:
        threading.Thread(target=_run, args=(app, job.id), daemon=True, name=f"export-{job.id}").start()
    return job


def _run(app, job_id):
    """The job in its own thread and session: other users' requests go on meanwhile."""
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        user = db.session.get(User, job.user_id)

        def progress(value, message):
            job.progress, job.message, job.status, job.updated_at = value, message, "running", utcnow()
            transaction.commit()  # the job page shows each step while the next one runs

        try:
            municipality = db.session.get(Municipality, job.municipality_id)
            with Heartbeat(app, job_id):
                summary_workbook(job_path(job), policy.visible(Partnership, user), municipality,
                                 job.params["year"], job.params.get("period", ""), audience_of(user), progress)
            job.status, job.finished_at, job.updated_at = "done", utcnow(), utcnow()
        except Exception:  # the user sees "failed"; the operator reads the log
            log.exception("export %s failed", job_id)
            db.session.rollback()
            job = db.session.get(ExportJob, job_id)
            job.status, job.message, job.updated_at = "failed", N_("Не удалось сформировать файл"), utcnow()
        transaction.commit()
        db.session.remove()


def scope_for_cli(municipality):
    return db.select(Partnership).where(Partnership.municipality_id == municipality.id)
