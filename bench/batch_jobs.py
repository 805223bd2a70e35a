#!/usr/bin/env python3
"""Benchmark: a daily batch job (flask remind-overdue over thousands of overdue tasks) beside
people saving tasks in another programme, on a throwaway PostgreSQL server.

Prints the job's duration and the other writer's save latency (median and worst) while the job
runs, as a ratio to the same saves with no job running (the floor, measured in the same run).
Usage: .venv/bin/python bench/batch_jobs.py [--tasks 5870] [--code /path/to/other/checkout]
`--code` runs the same measurement against another checkout (e.g. the code before issue 14,
whose writers all queued behind one advisory lock).
"""
import argparse
import statistics
import threading
import time

from checkout import CONFIG, use_checkout


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=5870)
    parser.add_argument("--code", help="checkout of Opora to measure (default: this one)")
    return parser.parse_args()


ARGS = parse()
CODE = use_checkout()

import sqlalchemy as sa  # noqa: E402
from run_postgres import postgres_server  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402


def build(url, tasks):
    from flask_migrate import upgrade

    from app.accounts.models import User
    from app.demo.seed import seed_demo
    from app.demo.synthetic import build_programme
    from app.programmes.models import Programme, Task

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **CONFIG,
                      "SERVER_NAME": "opora.test"})
    with app.app_context():
        upgrade()
        seed_demo()
        big = build_programme(sections=4, tasks=tasks, indicators=0, start_year=2090)
        owner = db.session.scalar(sa.select(User.id).where(User.email == "tutor@opora.demo"))
        # Every task of the big programme overdue and owned: one reminder each.
        db.session.execute(sa.update(Task).where(Task.programme_id == big).values(
            owner_id=owner, status="planned", due_date=sa.func.date("2026-01-15")))
        db.session.commit()
        other = db.session.scalar(sa.select(Programme.id).where(Programme.id != big).order_by(Programme.id))
        other_tasks = db.session.scalars(sa.select(Task.id).where(Task.programme_id == other).limit(5)).all()
    return app, other_tasks


def saves(app, task_ids, stop, latencies):
    """Save task statuses in the other programme, one after another, until `stop` is set."""
    from app.accounts.models import User
    from app.programmes import services
    from app.programmes.models import Task

    statuses = ("planned", "in_progress")
    i = 0
    with app.test_request_context():
        actor = db.session.scalar(sa.select(User).where(User.email == "admin@opora.demo"))
        while not stop.is_set():
            task = db.session.get(Task, task_ids[i % len(task_ids)])
            start = time.perf_counter()
            services.save_task(actor, task, {"status": statuses[(i // len(task_ids)) % 2]}, task.version)
            db.session.commit()
            latencies.append((time.perf_counter() - start) * 1000)
            db.session.expire_all()
            i += 1
            time.sleep(0.02)


def measure(app, task_ids, seconds=None, job=None):
    stop, latencies = threading.Event(), []
    writer = threading.Thread(target=saves, args=(app, task_ids, stop, latencies))
    writer.start()
    started = time.perf_counter()
    if job is not None:
        job()
    else:
        time.sleep(seconds)
    elapsed = time.perf_counter() - started
    stop.set()
    writer.join(timeout=60)
    return elapsed, latencies


def main():
    with postgres_server() as admin_url:
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE opora_batch"))
        engine.dispose()
        url = admin_url.rsplit("/", 1)[0] + "/opora_batch"
        app, task_ids = build(url, ARGS.tasks)

        def job():
            from app.programmes.services import overdue_reminders
            with app.test_request_context():
                job.sent = overdue_reminders()

        _t, floor = measure(app, task_ids, seconds=3)
        elapsed, during = measure(app, task_ids, job=job)
        with app.app_context():
            db.engine.dispose()
    floor_median = statistics.median(floor)
    print(f"Opora batch job benchmark — PostgreSQL, code at {CODE}")
    print(f"  remind-overdue: {job.sent} reminders in {elapsed:.1f} s")
    print(f"  saves in another programme, no job (floor): median {floor_median:.1f} ms, worst {max(floor):.1f} ms "
          f"({len(floor)} saves)")
    print(f"  saves in another programme during the job: median {statistics.median(during):.1f} ms "
          f"({statistics.median(during) / floor_median:.1f}× floor), worst {max(during):.1f} ms "
          f"({max(during) / floor_median:.1f}× floor), {len(during)} saves")


if __name__ == "__main__":
    main()
