#!/usr/bin/env python3
"""Benchmark of a programme page with 4 sections, 150 tasks, 30 indicators × 8 periods.

Prints: median server time of the page and of one task update, the size of the task-update
response, the cost of a "nothing changed" live check (time and SQL statements), and the
median time from a save in one session to its appearance in another session that polls
like an open page; then the page's weight (bytes per task row, <form>s and CSRF inputs) and
its server time with nothing cached, as a ratio to a floor measured in the same run (GET
/healthz through the same app: routing, session, security headers, no page).
Runs on a scratch SQLite database (or DATABASE_URL if set).
Usage: .venv/bin/python bench/programme_page.py [--rounds N] [--code CHECKOUT]
  --code runs the same script against another checkout of Opora (e.g. the code before a
  change), so "before" and "after" figures come from one script.
"""
import argparse
import os
import random
import re
import statistics
import tempfile
import threading
import time

from checkout import CONFIG, login, row_version, use_checkout  # noqa: E402

CODE = use_checkout()

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

TASK_ROW = re.compile(r'<tr id="task-\d+".*?</tr>', re.S)


def build(url):
    from flask_migrate import upgrade

    from app.demo.seed import seed_demo
    from app.demo.synthetic import build_programme

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **CONFIG})
    with app.app_context():
        upgrade()
        seed_demo()
        pid = build_programme(sections=4, tasks=150, indicators=30)
    return app, pid


def timed(fn, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--code", default=CODE, help="checkout of Opora to measure (default: this one)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="opora-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app, pid = build(url)
    client = app.test_client()
    token = login(client, "admin@opora.demo")
    with app.app_context():
        from app.programmes.models import Task

        task_ids = db.session.scalars(sa.select(Task.id).where(Task.programme_id == pid)).all()

    def page(*caches):
        for name in caches:  # forget what a change (or a restart) would make stale
            app.extensions.pop(f"opora_{name}_cache", None)
        return client.get(f"/programmes/{pid}")

    cold_median, cold_max = timed(lambda: page("page", "row"), max(5, args.rounds // 4))
    changed_median, changed_max = timed(lambda: page("page"), args.rounds)
    page_median, page_max = timed(page, args.rounds)
    page_bytes = len(page().data)
    weight = page_weight(page().get_data(as_text=True))
    uncached, floor = uncached_against_floor(client, page, args.rounds)

    sizes = []

    def update():
        task_id = random.choice(task_ids)
        with app.app_context():
            version = db.session.get(Task, task_id).version
        start = time.perf_counter()
        resp = client.post(f"/tasks/{task_id}/status", data={"status": random.choice(["planned", "done"]),
                                                              "version": version},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
        elapsed = (time.perf_counter() - start) * 1000
        assert resp.status_code == 200, resp.status_code
        sizes.append(len(resp.data))
        return elapsed

    update_times = [update() for _ in range(args.rounds)]

    page = client.get(f"/programmes/{pid}").get_data(as_text=True)
    live_url = re.search(r'hx-get="(/programmes/\d+/live\?[^"]+)"', page).group(1).replace("&amp;", "&")
    statements = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client.get(live_url, headers={"HX-Request": "true"})
    live_median, _ = timed(lambda: client.get(live_url, headers={"HX-Request": "true"}), args.rounds * 5)
    statements.clear()
    resp = client.get(live_url, headers={"HX-Request": "true"})
    nothing_status, nothing_queries = resp.status_code, len(statements)

    # Save in one session, see it in another that polls like an open page (real HTTP, threads).
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    latencies = propagation(server.server_port, pid, task_ids, app.config["LIVE_POLL_SECONDS"], rounds=15)
    server.shutdown()

    print(f"Opora programme page benchmark — {url.split('://')[0]}, 4 sections, 150 tasks, 30 indicators × 8 periods")
    print(f"  programme page, {page_bytes} bytes: nothing cached {cold_median:.1f} ms (max {cold_max:.1f}); "
          f"page cache emptied {changed_median:.1f} ms (max {changed_max:.1f}); "
          f"repeat view {page_median:.1f} ms (max {page_max:.1f}) — the last two differ only for a checkout "
          f"that keeps row and page caches (before issue 14)")
    print(f"  task update:    median {statistics.median(update_times):.1f} ms, "
          f"response {max(sizes)} bytes (target < 3072)")
    print(f"  nothing-changed live check: median {live_median:.2f} ms, HTTP {nothing_status}, "
          f"{nothing_queries} SQL statements, 0 bytes, no rendering")
    print(f"  save → visible in another session: median {statistics.median(latencies):.0f} ms, "
          f"max {max(latencies):.0f} ms (poll every {app.config['LIVE_POLL_SECONDS']} s; target < 1000 ms)")
    print(f"  page weight: {weight['rows']} task rows, {weight['per_row']:.0f} bytes per task row "
          f"({weight['row_bytes']} of {weight['page_bytes']} bytes), {weight['forms']} <form>s, "
          f"{weight['csrf_inputs']} CSRF inputs")
    print(f"  page server time, nothing cached: median {uncached:.1f} ms over {args.rounds} rounds; "
          f"floor (GET /healthz) {floor:.2f} ms; ratio {uncached / floor:.1f}× the floor")
    print(f"  code measured: {CODE}")


def page_weight(html):
    """Bytes per task row (rows found by their element id), forms and CSRF inputs on the page."""
    rows = TASK_ROW.findall(html)
    row_bytes = sum(len(r.encode()) for r in rows)
    return {"rows": len(rows), "row_bytes": row_bytes, "per_row": row_bytes / max(1, len(rows)),
            "page_bytes": len(html.encode()), "forms": html.count("<form"),
            "csrf_inputs": html.count('name="csrf_token"')}


def uncached_against_floor(client, page, rounds):
    """Median server time of the page with every cache emptied before each round (the old
    code's row and page caches; the new code has none), and of a trivial route, interleaved
    so that both see the same machine load."""
    page_times, floor_times = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        resp = page("page", "row")
        page_times.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200, resp.status_code
        start = time.perf_counter()
        resp = client.get("/healthz")
        floor_times.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200, resp.status_code
    return statistics.median(page_times), statistics.median(floor_times)


def propagation(port, pid, task_ids, poll_seconds, rounds):
    from tests.helpers import HttpSession

    base = f"http://127.0.0.1:{port}"
    writer, reader = HttpSession(base), HttpSession(base)
    writer.login("curator@opora.demo")  # the curator and the tutor school of Сахаптинская СОШ
    reader.login("tutor2@opora.demo")
    latencies = []
    for _ in range(rounds):
        _s, page, _h = reader.request("GET", f"/programmes/{pid}")
        live_url = re.search(r'hx-get="(/programmes/\d+/live\?[^"]+)"', page).group(1).replace("&amp;", "&")
        task_id = random.choice(task_ids)
        _s, row, _h = writer.request("GET", f"/tasks/{task_id}/row", headers={"HX-Request": "true"})
        version = row_version(row)
        current = re.search(r'<option value="(\w+)" selected', row).group(1)
        new_status = "done" if current != "done" else "planned"
        # The open page polls on its own clock: a random phase against the save.
        next_poll = time.perf_counter() + random.uniform(0, poll_seconds)
        saved_at = time.perf_counter()
        status, _body, _h = writer.htmx_post(f"/tasks/{task_id}/status", {"status": new_status, "version": version})
        assert status == 200, status
        deadline = saved_at + 10
        while time.perf_counter() < deadline:
            delay = next_poll - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, body, _h = reader.request("GET", live_url, headers={"HX-Request": "true"})
            if status == 200 and f'id="task-{task_id}"' in body:
                latencies.append((time.perf_counter() - saved_at) * 1000)
                break
            next_poll += poll_seconds
        else:
            raise RuntimeError("the change did not reach the other session within 10 s")
    return latencies


if __name__ == "__main__":
    main()
