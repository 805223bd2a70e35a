#!/usr/bin/env python3
"""Region-size export benchmark: 1,000 schools, 100,000 tasks, 20,000 visits, 20,000 teachers.

Builds a scratch SQLite database (or uses DATABASE_URL), then prints the department summary
export's time and peak memory, beside the time XlsxWriter alone takes to write the same rows
(write_row, no queries) in the same run. Target: export under 2× the XlsxWriter-only time.
Usage: .venv/bin/python bench/region_export.py [--schools 1000]
"""
import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import xlsxwriter  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402


def build(url, n_schools):
    from flask_migrate import upgrade

    from app.accounts.models import User
    from app.orgs.models import Municipality, Organisation, Partnership
    from app.programmes.models import Indicator, IndicatorValue, Programme, ReportingPeriod, Section, Task
    from app.programmes.services import default_periods
    from app.teachers.models import DeficitArea, DeficitFinding, DiagnosticSession, Teacher
    from app.teachers.services import catalogue
    from app.visits.models import Recommendation, Visit

    rng = random.Random(1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        m = Municipality(code="region", name="Регион (нагрузочный набор)")
        db.session.add(m)
        db.session.flush()
        x = db.session.execute
        x(insert(Organisation), [{"municipality_id": m.id, "kind": "school", "name": f"МБОУ СОШ № {i}",
                                  "short_name": f"СОШ № {i}", "is_low_results": True} for i in range(n_schools)])
        school_ids = db.session.scalars(select(Organisation.id).where(Organisation.municipality_id == m.id)).all()
        x(insert(User), [{"email": f"curator{i}@region.test", "full_name": f"Куратор {i}", "role": "curator",
                          "municipality_id": m.id, "password_hash": "x", "session_token": f"t{i}"} for i in range(20)])
        curators = db.session.scalars(select(User.id).where(User.municipality_id == m.id)).all()
        x(insert(Partnership), [{"municipality_id": m.id, "school_id": s,
                                 "tutor_school_id": school_ids[(i + 1) % n_schools],
                                 "curator_id": curators[i % 20], "start_year": 2025, "end_year": 2027}
                                for i, s in enumerate(school_ids)])
        partnerships = db.session.execute(select(Partnership.id, Partnership.school_id).where(
            Partnership.municipality_id == m.id)).all()
        x(insert(Programme), [{"municipality_id": m.id, "partnership_id": p, "school_id": s, "start_year": 2025,
                               "end_year": 2027, "name": "Программа", "status": "in_progress"}
                              for p, s in partnerships])
        programmes = db.session.execute(select(Programme.id, Programme.partnership_id).where(
            Programme.municipality_id == m.id)).all()
        x(insert(Section), [{"municipality_id": m.id, "programme_id": pid, "title": f"Раздел {k}", "position": k}
                            for pid, _ in programmes for k in range(1, 5)])
        sections = {}
        for sid, pid in db.session.execute(select(Section.id, Section.programme_id)
                                           .where(Section.municipality_id == m.id)):
            sections.setdefault(pid, []).append(sid)
        statuses = ("planned", "in_progress", "done", "done", "cancelled")
        tasks = [{"municipality_id": m.id, "programme_id": pid, "section_id": sections[pid][k % 4], "position": k,
                  "title": f"Мероприятие {k}: методическое сопровождение педагогов",
                  "due_date": date(2025, 9, 1) + timedelta(days=rng.randint(0, 600)),
                  "expected_result": "Повышение доли обучающихся, достигших базового уровня",
                  "responsible": "заместитель директора по УВР", "status": rng.choice(statuses)}
                 for pid, _ in programmes for k in range(100 * n_schools // len(programmes))]
        for i in range(0, len(tasks), 20000):
            x(insert(Task), tasks[i:i + 20000])
        x(insert(ReportingPeriod), [{"municipality_id": m.id, "programme_id": pid, "position": k, "title": t,
                                     "deadline": d}
                                    for pid, _ in programmes for k, (t, d) in enumerate(default_periods(2025))])
        periods = {}
        for rid, pid in db.session.execute(select(ReportingPeriod.id, ReportingPeriod.programme_id).where(
                ReportingPeriod.municipality_id == m.id)):
            periods.setdefault(pid, []).append(rid)
        x(insert(Indicator), [{"municipality_id": m.id, "programme_id": pid, "position": k, "name": f"Показатель {k}",
                               "baseline": 20.0} for pid, _ in programmes for k in range(5)])
        values = [{"municipality_id": m.id, "programme_id": pid, "indicator_id": iid, "period_id": rid,
                   "target": 18.0, "actual": rng.uniform(15, 22) if n < 5 else None}
                  for iid, pid in db.session.execute(select(Indicator.id, Indicator.programme_id).where(
                      Indicator.municipality_id == m.id)) for n, rid in enumerate(periods[pid])]
        for i in range(0, len(values), 20000):
            x(insert(IndicatorValue), values[i:i + 20000])
        visits = [{"municipality_id": m.id, "partnership_id": p, "school_id": s, "visit_date": date(2025, 9, 1)
                   + timedelta(days=rng.randint(0, 440)), "format": "method_landing", "purpose": "Посещение уроков",
                   "findings": "Уроки построены традиционно", "status": "submitted", "created_by_id": curators[0]}
                  for p, s in partnerships for _ in range(20 * n_schools // len(partnerships))]
        x(insert(Visit), visits)
        visit_rows = db.session.execute(select(Visit.id, Visit.partnership_id, Visit.school_id).where(
            Visit.municipality_id == m.id)).all()
        x(insert(Recommendation), [{"municipality_id": m.id, "partnership_id": p, "school_id": s, "visit_id": v,
                                    "text": "Включить этап рефлексии в технологические карты уроков",
                                    "deadline": date(2026, 12, 1), "status": rng.choice(("open", "done"))}
                                   for v, p, s in visit_rows])
        x(insert(Teacher), [{"municipality_id": m.id, "school_id": s, "full_name": f"Педагог {s}-{k}"}
                            for s in school_ids for k in range(20 * n_schools // len(school_ids))])
        x(insert(DiagnosticSession), [{"municipality_id": m.id, "school_id": s, "session_date": date(2026, 10, 1),
                                       "method": "test", "created_by_id": curators[0]} for s in school_ids])
        session_of = dict(db.session.execute(select(DiagnosticSession.school_id, DiagnosticSession.id).where(
            DiagnosticSession.municipality_id == m.id)).all())
        areas = [a.id for group in catalogue(m.id).values() for a in group]
        findings = [{"municipality_id": m.id, "session_id": session_of[s], "teacher_id": t, "area_id": a,
                     "level": rng.choice(("none", "none", "partial", "significant"))}
                    for t, s in db.session.execute(select(Teacher.id, Teacher.school_id).where(
                        Teacher.municipality_id == m.id)) for a in areas[::3]]
        for i in range(0, len(findings), 20000):
            x(insert(DeficitFinding), findings[i:i + 20000])
        db.session.commit()
        counts = {"schools": len(school_ids), "tasks": len(tasks), "visits": len(visits),
                  "teachers": 20 * n_schools // len(school_ids) * len(school_ids), "findings": len(findings)}
        _ = DeficitArea
    return app, counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=1000)
    args = parser.parse_args()
    import logging

    logging.getLogger("alembic").setLevel(logging.ERROR)
    tmp = tempfile.mkdtemp(prefix="opora-region-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/region.db"
    started = time.perf_counter()
    app, counts = build(url, args.schools)
    built = time.perf_counter() - started
    from app.exports.services import scope_for_cli, summary_workbook
    from app.orgs.models import Municipality

    with app.app_context(), app.test_request_context():
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == "region"))
        out = os.path.join(tmp, "summary.xlsx")
        timings = []
        for _ in range(2):  # the time without tracing; the better of two runs
            t0 = time.perf_counter()
            summary_workbook(out, scope_for_cli(municipality), municipality, 2025)
            timings.append(time.perf_counter() - t0)
        export_seconds = min(timings)
        tracemalloc.start()  # memory in a third run: tracing slows Python down, so it is not timed
        summary_workbook(out, scope_for_cli(municipality), municipality, 2025)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = os.path.getsize(out)
        baseline = xlsxwriter_only(out, os.path.join(tmp, "baseline.xlsx"))
    print(f"Opora region export benchmark — {url.split(':')[0]}; data built in {built:.1f} s")
    print("  dataset: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    print(f"  summary export (queries + pandas + XlsxWriter): {export_seconds:.2f} s, peak Python memory "
          f"{peak / 2**20:.0f} MiB, file {size / 2**20:.1f} MiB")
    print(f"  XlsxWriter alone, same rows (write_row): {baseline['seconds']:.2f} s for {baseline['rows']:,} rows")
    print(f"  ratio: {export_seconds / baseline['seconds']:.2f}× (target < 2×)")


def xlsxwriter_only(source, target):
    """Write the very cells of the export again with bare XlsxWriter: the floor for the same output
    (the better of two runs)."""
    import openpyxl

    book = openpyxl.load_workbook(source, read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    book.close()
    return min((_write_plain(sheets, target) for _ in range(2)), key=lambda r: r["seconds"])


def _write_plain(sheets, target):
    t0 = time.perf_counter()
    out = xlsxwriter.Workbook(target, {"default_date_format": "dd.mm.yyyy"})
    rows = 0
    for title, data in sheets.items():
        ws = out.add_worksheet(title)
        for i, row in enumerate(data):
            ws.write_row(i, 0, row)
        rows += len(data)
    out.close()
    return {"seconds": time.perf_counter() - t0, "rows": rows}


if __name__ == "__main__":
    main()
