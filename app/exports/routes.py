"""Exports page and jobs, the programme document, imports of schools and users."""
import io
import os

from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import imports, policy
from ..errors import error_response
from ..htmx import render
from ..programmes import services as programmes
from ..timeutil import school_year, utcnow
from . import bp, bulk, services
from .forms import JOB_STATUS_LABELS, SummaryForm, UploadForm
from .models import ExportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _summary_allowed():
    policy.require("summarize")


def _job_context():
    """The user's recent jobs and how a job's state is shown: decided when read (an interrupted
    job is one whose heartbeat stopped), never written by the page."""
    return {"now": utcnow(), "stale_seconds": services.stale_seconds(), "statuses": JOB_STATUS_LABELS}


@bp.get("/exports")
def exports():
    _summary_allowed()
    return render("exports/exports.html", form=SummaryForm(year=school_year()),
                  jobs=services.recent_jobs(current_user), **_job_context())


@bp.post("/exports")
def start_export():
    _summary_allowed()
    form = SummaryForm()
    if not form.validate_on_submit():
        return render("exports/exports.html", form=form, jobs=services.recent_jobs(current_user), status=422,
                      **_job_context())
    job = services.start_summary_job(current_user._get_current_object(), form.year.data, form.period.data)
    return redirect(url_for("exports.job", job_id=job.id))


def _own_job(job_id):
    job = policy.load(ExportJob, job_id, "view")
    _summary_allowed()
    return job


@bp.get("/exports/<int:job_id>")
def job(job_id):
    """The job's state; the fragment polls itself while the file is being made."""
    return render("exports/job.html", block="job", job=_own_job(job_id), **_job_context())


@bp.get("/exports/<int:job_id>/file")
def job_file(job_id):
    job = _own_job(job_id)
    path = services.job_path(job)
    if job.status != "done" or not os.path.exists(path):
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.filename, mimetype=XLSX)


# --- The programme document ------------------------------------------------------------

def _document_of(programme_id):
    """The document is the programme's text itself: for those who read free text only."""
    programme = programmes.load_programme(programme_id)
    if not policy.can("read_text", programme):
        return programme, error_response(403, _("Документ программы состоит из текстов, которые называют людей: "
                                                "он доступен участникам программы. Сводные данные — в выгрузке "
                                                "«Сводка» и на странице программы."))
    return programme, None


@bp.get("/programmes/<int:programme_id>/document")
def programme_document(programme_id):
    programme, refused = _document_of(programme_id)
    if refused:
        return refused
    return render("exports/programme_document.html", programme=programme, **programmes.page_data(programme))


@bp.get("/programmes/<int:programme_id>/document.xlsx")
def programme_xlsx(programme_id):
    programme, refused = _document_of(programme_id)
    if refused:
        return refused
    buffer = io.BytesIO()
    services.programme_workbook(buffer, programme)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"opora-programma-{programme.id}.xlsx", mimetype=XLSX)


# --- Imports of schools and users ---------------------------------------------------------------

IMPORTS = {"schools": (bulk.schools_template, "opora-organizacii-shablon.xlsx"),
           "users": (bulk.users_template, "opora-polzovateli-shablon.xlsx")}


@bp.get("/imports")
def imports_page():
    policy.require("manage")
    return render("exports/imports.html", form=UploadForm(), errors={}, year=school_year())


@bp.get("/imports/<kind>/template.xlsx")
def import_template(kind):
    policy.require("manage")
    if kind not in IMPORTS:
        abort(404)
    make, name = IMPORTS[kind]
    return send_file(make(), as_attachment=True, download_name=name, mimetype=XLSX)


@bp.post("/imports/<kind>")
def import_upload(kind):
    policy.require("manage")
    if kind not in IMPORTS:
        abort(404)
    form = UploadForm()
    if kind == "schools":
        count, errors = imports.run(form, lambda file: bulk.import_schools(current_user, file))
    else:
        links, errors = imports.run(form, lambda file: bulk.import_users(current_user, file))
        if not errors:  # the one-time links are shown now or never (only their digests are stored)
            return render("exports/imports.html", form=UploadForm(), errors={}, year=school_year(), links=links)
    if not errors:
        flash(_("Загружено записей: %(n)s.", n=count), "success")
        return redirect(url_for("exports.imports_page"))
    return render("exports/imports.html", form=form, errors={kind: errors}, year=school_year(), status=422)


