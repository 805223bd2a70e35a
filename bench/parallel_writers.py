#!/usr/bin/env python3
"""Writers at once on PostgreSQL: 16 processes save task statuses for N seconds, first all in
ONE programme, then each in its own programme (16 programmes); prints writes/s of each and
their ratio.

Two paths, each run both ways:
- http: the whole app in process — each writer has its own Flask app, session and test client
(no sockets) and posts `/tasks/<id>/status` as the page's status control does (HX-Request,
CSRF token in the header): routing, login, policy, version check, history, the row rendered,
the commit. - held: the service path (`services.save_task` in a request context, then commit), each
  transaction kept open `--hold-ms` after its write, as a slow request or a batch job keeps
  it: here waiting for another writer's lock is most of the cost, so it shows who waits.
Each writer saves its own task (no 409s): what is measured is how writers wait for each
other. Processes, not threads, so that the writers use both cores.
Starts a throwaway PostgreSQL server (tests/run_postgres.py).
Usage: .venv/bin/python bench/parallel_writers.py [--writers 16] [--seconds 10] [--code CHECKOUT]
"""
import argparse
import multiprocessing
import os
import time

from checkout import CONFIG, login, row_version, use_checkout  # noqa: E402

CODE = use_checkout()



def build(url, writers):
    """The demo municipality, one programme with `writers` tasks, and `writers` programmes."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.demo.seed import seed_demo
    from app.demo.synthetic import build_programme
    from app.extensions import db
    from app.programmes.models import Task

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **CONFIG})
    with app.app_context():
        upgrade()
        seed_demo()
        shared = build_programme(sections=4, tasks=150, indicators=0, start_year=2900)
        one = db.session.scalars(sa.select(Task.id).where(Task.programme_id == shared).order_by(Task.id)
                                 .limit(writers)).all()
        many = []
        for i in range(writers):
            pid = build_programme(sections=4, tasks=150, indicators=0, start_year=3000 + i)
            many.append(db.session.scalar(sa.select(Task.id).where(Task.programme_id == pid).order_by(Task.id)))
        db.engine.dispose()  # the writers are forked: no connection crosses the fork
    return one, many


def writer(url, task_id, ready, start, seconds, results, hold_ms=None):
    try:
        if hold_ms is None:
            results.put(_write(url, task_id, ready, start, seconds))
        else:
            results.put(_write_held(url, task_id, ready, start, seconds, hold_ms / 1000))
    except BaseException as exc:  # counted, and the run goes on
        results.put((0, f"{type(exc).__name__}: {exc}"))


def _write(url, task_id, ready, start, seconds):
    import logging

    logging.disable(logging.INFO)
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **CONFIG})
    client = app.test_client()
    token = login(client, "admin@opora.demo")
    row = client.get(f"/tasks/{task_id}/row", headers={"HX-Request": "true"}).get_data(as_text=True)
    version = row_version(row)
    statuses = ("in_progress", "planned")

    def save(status):
        return client.post(f"/tasks/{task_id}/status", data={"status": status, "version": version},
                           headers={"HX-Request": "true", "X-CSRFToken": token})

    # One save before the clock starts: templates compiled, connection open.
    version = row_version(save("done").get_data(as_text=True))
    ready.put(True)
    start.wait()
    done = errors = 0
    stop = time.time() + seconds
    while time.time() < stop:
        resp = save(statuses[done % 2])
        if resp.status_code != 200:
            errors += 1
            continue
        version = row_version(resp.get_data(as_text=True))
        done += 1
    return done, errors


def _write_held(url, task_id, ready, start, seconds, hold):
    import logging

    import sqlalchemy as sa

    logging.disable(logging.INFO)
    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.programmes import services
    from app.programmes.models import Task

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **CONFIG})
    statuses = ("in_progress", "planned", "done")
    done = 0
    with app.test_request_context("/"):
        actor_id = db.session.scalar(sa.select(User.id).where(User.email == "admin@opora.demo"))

        def save(n):
            actor = db.session.get(User, actor_id)
            task = db.session.get(Task, task_id)
            services.save_task(actor, task, {"status": statuses[n % 3]}, task.version)
            time.sleep(hold)  # the transaction stays open, holding what its write locked
            db.session.commit()

        save(0)
        ready.put(True)
        start.wait()
        stop = time.time() + seconds
        while time.time() < stop:
            done += 1
            save(done)
    return done, 0


def run(url, task_ids, seconds, hold_ms=None):
    context = multiprocessing.get_context("fork")
    results, ready, start = context.Queue(), context.Queue(), context.Event()
    procs = [context.Process(target=writer, args=(url, t, ready, start, seconds, results, hold_ms))
             for t in task_ids]
    for p in procs:
        p.start()
    for _ in procs:  # every writer signed in, warmed up and waiting
        ready.get(timeout=300)
    start.set()
    counts = [results.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    failed = [c[1] for c in counts if isinstance(c[1], str)]
    if failed:
        raise SystemExit(f"{len(failed)} writers failed: {failed[0]}")
    writes = sum(c[0] for c in counts)
    return writes / seconds, sum(c[1] for c in counts)


def main():
    import logging

    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--hold-ms", type=float, default=20, help="held path: ms a transaction stays open")
    parser.add_argument("--code", default=CODE, help="checkout of Opora to measure (default: this one)")
    args = parser.parse_args()
    from run_postgres import postgres_server

    with postgres_server() as url:
        one, many = build(url, args.writers)
        figures = [("http (POST /tasks/<id>/status through the app)", run(url, one, args.seconds),
                    run(url, many, args.seconds)),
                   (f"held (services.save_task, transaction open {args.hold_ms:g} ms after the write)",
                    run(url, one, args.seconds, args.hold_ms), run(url, many, args.seconds, args.hold_ms))]
    print(f"Opora parallel writers — PostgreSQL, {args.writers} writer processes × {args.seconds:g} s, "
          f"{os.cpu_count()} cores, code: {CODE}")
    for name, (one_rate, one_errors), (many_rate, many_errors) in figures:
        print(f"  {name}:")
        print(f"    all in ONE programme:        {one_rate:7.1f} writes/s ({one_errors} refused)")
        print(f"    in {args.writers} DIFFERENT programmes: {many_rate:7.1f} writes/s ({many_errors} refused)")
        print(f"    ratio different / one:       {many_rate / one_rate:7.2f}×")


if __name__ == "__main__":
    main()
