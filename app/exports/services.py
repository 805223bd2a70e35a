"""Building the summary workbook and the programme document; export jobs in the background."""
import logging
import os
import threading

import pandas as pd
from flask import current_app

from .. import policy, timeutil
from ..accounts.models import User
from ..extensions import db
from ..orgs.models import Municipality, Partnership
from ..programmes import services as programmes
from ..timeutil import utcnow
from . import summary as data
from .models import ExportJob
from .workbook import write_programme, write_summary

log = logging.getLogger("opora.exports")
PEOPLE_TEXT = {"Выезды": ["Выводы", "Цель"], "Рекомендации": ["Рекомендация", "Кому"]}


def summary_workbook(target, scope_query, municipality, year, period="", audience="department", progress=None,
                     today=None):
    """Write the department summary for the partnerships in `scope_query`.
    audience "observer": no free text that may name a teacher, only aggregates."""
    today = today or timeutil.today(municipality)
    step = progress or (lambda value, message: None)
    step(5, "Сводка по школам")
    rows = data.summary_rows(scope_query, municipality.id, year, period, today)
    summary = pd.DataFrame(rows)
    partnership_ids = [r["partnership_id"] for r in rows]
    programme_ids = [r["programme_id"] for r in rows if r["programme_id"]]
    school_names = {r["partnership_id"]: r["Школа"] for r in rows}
    by_programme = {r["programme_id"]: r["Школа"] for r in rows if r["programme_id"]}
    by_school = {r["school_id"]: r["Школа"] for r in rows}
    start, end = data.period_range(year, period)
    step(25, "Мероприятия")
    tasks = data.tasks_frame(programme_ids, school_names, today, *((start, end) if period else ()))
    step(45, "Показатели")
    indicators = data.indicators_frame(programme_ids, by_programme)
    step(60, "Выезды и рекомендации")
    visits = data.visits_frame(partnership_ids, school_names, start, end)
    recommendations = data.recommendations_frame(partnership_ids, school_names, today)
    if audience == "observer":
        visits = visits.drop(columns=PEOPLE_TEXT["Выезды"])
        recommendations = recommendations.drop(columns=PEOPLE_TEXT["Рекомендации"])
    deficits = data.deficits_frame(list(by_school), by_school)
    card, _card = data.card_frame(municipality.id, year, None if audience != "curator" else set(by_school))
    step(75, "Запись книги Excel")
    meta = {"title": f"Сводка по сопровождению школ: {municipality.name}",
            "subtitle": f"{year}/{year + 1} учебный год, {data.PERIODS[period]}; на {today.strftime('%d.%m.%Y')}"}
    write_summary(target, summary, tasks, indicators, visits, recommendations, deficits, card, meta)
    step(100, "Готово")
    return len(rows)


def audience_of(user):
    return {"observer": "observer", "curator": "curator"}.get(user.role, "department")


def programme_workbook(target, programme):
    page = programmes.page_data(programme)
    write_programme(target, programme, page["goals"], page["sections"], page["tasks_by_section"], page["numbers"],
                    page["indicators"], page["periods"], page["values"])


# --- Jobs ---------------------------------------------------------------------------------

def export_folder():
    folder = current_app.config["EXPORT_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def job_path(job):
    return os.path.join(export_folder(), f"{job.id}.xlsx")


def start_summary_job(user, year, period):
    job = ExportJob(municipality_id=user.municipality_id, user_id=user.id, kind="summary",
                    params={"year": year, "period": period}, filename=f"opora-svodka-{year}-{period or 'god'}.xlsx")
    db.session.add(job)
    db.session.commit()
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
            job.progress, job.message, job.status = value, message, "running"
            db.session.commit()

        try:
            municipality = db.session.get(Municipality, job.municipality_id)
            summary_workbook(job_path(job), policy.visible_partnerships(user), municipality, job.params["year"],
                             job.params.get("period", ""), audience_of(user), progress)
            job.status, job.finished_at = "done", utcnow()
        except Exception:  # the user sees "failed"; the operator reads the log
            log.exception("export %s failed", job_id)
            db.session.rollback()
            job = db.session.get(ExportJob, job_id)
            job.status, job.message = "failed", "Не удалось сформировать файл"
        db.session.commit()
        db.session.remove()


def scope_for_cli(municipality):
    return db.select(Partnership).where(Partnership.municipality_id == municipality.id)
