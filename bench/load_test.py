"""The driver behind bench/load (see there). Every run is bounded: wrk -d, timeouts on every wait."""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {"requests": %d, "seconds": %.3f, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"status_errors": %d, "socket_errors": %d}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""

UPDATE_LUA = """
-- One connection per thread, one task per thread: each save names the version it read.
local tasks = {%(tasks)s}
local versions = {%(versions)s}
local counter = 0
local threads = {}
function setup(thread)
  counter = counter + 1
  thread:set("slot", counter)
  table.insert(threads, thread)
end
function init(args)
  slot = slot or 1
  task = tasks[slot]
  version = versions[slot]
  accepted, conflicts, other = 0, 0, 0
  flip = 0
end
function request()
  flip = 1 - flip
  local status = flip == 1 and "done" or "in_progress"
  return wrk.format("POST", "/tasks/" .. task .. "/status", {
      ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "%(cookie)s",
      ["X-CSRFToken"] = "%(token)s", ["HX-Request"] = "true"},
    "status=" .. status .. "&version=" .. version)
end
function response(status, headers, body)
  local v = string.match(body, 'name="version" value="(%%d+)"')
  if status == 200 then
    -- accepted: the answer carries the version after the save (unchanged if nothing changed)
    if v and tonumber(v) > tonumber(version) then accepted = accepted + 1 end
  elseif status == 409 then
    conflicts = conflicts + 1
  else
    other = other + 1
  end
  if v then version = v end
end
function done(summary, latency, requests)
  local a, c, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); c = c + t:get("conflicts"); o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format('JSON {"requests": %%d, "seconds": %%.3f, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"status_errors": %%d, "socket_errors": %%d, "accepted": %%d, "conflicts": %%d, "other": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout, a, c, o))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url):
    """Migrate and load the demo data into a fresh database."""
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="wsgi.py", OPORA_PASSWORD_HASH="pbkdf2:sha256:1000")
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([os.path.join(ROOT, ".venv/bin/flask"), *args], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)


@contextmanager
def gunicorn(url, workers):
    port = free_port()
    pidfile = tempfile.mktemp(prefix="opora-gunicorn-", suffix=".pid")
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="load-test-only-key")
    # The production settings (gunicorn.conf.py), on a free port, quieter.
    args = ["--config", os.path.join(ROOT, "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "--pid", pidfile,
            "--chdir", ROOT, "--log-level", "warning"] + (["-w", str(workers)] if workers else [])
    proc = subprocess.Popen([os.path.join(ROOT, ".venv/bin/gunicorn"), *args, "wsgi:app"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if os.path.exists(pidfile):
            os.remove(pidfile)


def workers_rss(master_pid):
    """Resident memory (MiB) of each gunicorn worker (the master's children), from /proc."""
    sizes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue  # gone meanwhile
        if fields.get("PPid", "").strip() == str(master_pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)


def wrk(url, seconds, connections, threads, script, headers=()):
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s", "-s", script]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(line for line in out.splitlines() if line.startswith("JSON "))
    data = json.loads(line[5:])
    data["rps"] = data["requests"] / data["seconds"]
    return data


def session(base, email):
    from helpers import HttpSession

    s = HttpSession(base)
    s.login(email)
    return s, cookie_of(s)


def cookie_of(s):
    """The session cookie as the browser holds it now (pages add to the session, e.g. the
    programmes it may follow live)."""
    cookie = next(c for c in s.jar if c.name == "session")
    return f"session={cookie.value}"


def run(label, url, seconds, workers, tmp):
    import sqlalchemy as sa

    prepare(url)
    engine = sa.create_engine(url)
    results = {}
    with gunicorn(url, workers) as (base, master_pid):
        admin, admin_cookie = session(base, "admin@opora.demo")
        observer, _cookie = session(base, "observer@opora.demo")
        school, school_cookie = session(base, "school@opora.demo")
        report = os.path.join(tmp, "report.lua")
        with open(report, "w") as fh:
            fh.write(REPORT_LUA)
        results["/healthz"] = wrk(f"{base}/healthz", seconds, 16, 2, report)
        # The same floor at the live check's concurrency, to compare like with like.
        results["/healthz, 100 connections"] = wrk(f"{base}/healthz", seconds, 100, 2, report)
        # The "nothing changed" check of 100 open pages (the observer's, whose presence key is stable).
        _s, page, _h = observer.request("GET", "/programmes/1")
        live = re.search(r'hx-get="(/programmes/1/live\?[^"]+)"', page).group(1).replace("&amp;", "&")
        status, _b, _h = observer.request("GET", live, headers={"HX-Request": "true"})
        results["live check, 100 open pages"] = wrk(f"{base}{live}", seconds, 100, 2, report,
                                                    [f"Cookie: {cookie_of(observer)}", "HX-Request: true"])
        results["live check, 100 open pages"]["first_status"] = status
        results["programme page"] = wrk(f"{base}/programmes/1", seconds, 16, 2, report, [f"Cookie: {admin_cookie}"])
        results["dashboard"] = wrk(f"{base}/dashboard", seconds, 16, 2, report, [f"Cookie: {admin_cookie}"])
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, version FROM task WHERE programme_id = 1 ORDER BY id LIMIT 16")).all()
            events_before = conn.execute(
                sa.text("SELECT count(*) FROM activity_event WHERE object_type = 'task'")).scalar()
        update = os.path.join(tmp, "update.lua")
        with open(update, "w") as fh:
            fh.write(UPDATE_LUA % {"tasks": ", ".join(str(r[0]) for r in rows),
                                   "versions": ", ".join(str(r[1]) for r in rows),
                                   "cookie": school_cookie, "token": school.token})
        result = wrk(f"{base}/", seconds, 16, 16, update)
        time.sleep(1.0)  # let requests still in flight when wrk stopped finish before counting
        with engine.connect() as conn:
            after = dict(conn.execute(
                sa.text("SELECT id, version FROM task WHERE programme_id = 1 ORDER BY id LIMIT 16")).all())
            events_after = conn.execute(
                sa.text("SELECT count(*) FROM activity_event WHERE object_type = 'task'")).scalar()
        stored = sum(after[r[0]] - r[1] for r in rows)
        # Lost: answered "saved" but not in the database. Requests still in flight when wrk stops
        # are saved without their answer being counted, so stored may exceed accepted.
        result["stored"] = stored
        result["lost"] = max(0, result["accepted"] - stored)
        result["history_missing"] = stored - (events_after - events_before)
        results["task status update"] = result
        rss = workers_rss(master_pid)
    engine.dispose()
    print(f"\n{label}: gunicorn (gunicorn.conf.py: sync workers, "
          f"{workers or os.environ.get('OPORA_WORKERS', os.cpu_count() + 1)} of them), "
          f"wrk on loopback, {seconds} s per endpoint")
    print(f"  {'endpoint':32} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'÷ healthz':>9}")
    for name, r in results.items():
        errors = r["status_errors"] + r["socket_errors"]
        if "other" in r:
            errors = r["other"] + r["socket_errors"]
        r["errors"] = errors
        # Each endpoint against the floor at its own concurrency (100 connections for the live check).
        floor = results["/healthz, 100 connections" if name.startswith("live") else "/healthz"]["rps"]
        r["ratio"] = r["rps"] / floor
        print(f"  {name:32} {r['rps']:8.0f} {r['p50'] / 1000:7.1f} {r['p95'] / 1000:7.1f} {r['p99'] / 1000:7.1f} "
              f"{errors:6d} {r['ratio']:9.2f}")
    u = results["task status update"]
    print(f"  task updates: {u['accepted']} answered as saved, {u['stored']} saved in the database, "
          f"{u['conflicts']} conflicts (409), {u['other']} other; lost updates: {u['lost']}; "
          f"saved but missing from history: {u['history_missing']}")
    checks = [
        ("zero errors", sum(r["errors"] for r in results.values()) == 0),
        ("zero lost updates, all in history", u["lost"] == 0 and u["history_missing"] == 0),
        ("live check ≥ 50 % of /healthz", results["live check, 100 open pages"]["ratio"] >= 0.5),
        ("programme page p95 < 150 ms", results["programme page"]["p95"] < 150_000),
        ("task update p95 < 100 ms", u["p95"] < 100_000),
    ]
    print(f"  memory after the run: {len(rss)} workers, resident {rss[0]:.0f}–{rss[-1]:.0f} MiB each "
          f"({sum(rss):.0f} MiB in all; page and row caches at most 64 MiB per worker)")
    print("  targets: " + "; ".join(f"{name} {'MET' if ok else 'NOT MET'}" for name, ok in checks))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=0, help="default: as gunicorn.conf.py (cores + 1)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="opora-load-")
    print(f"Opora load test, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    if args.db in ("sqlite", "both"):
        run("SQLite (WAL)", f"sqlite:///{tmp}/load.db", args.seconds, args.workers, tmp)
    if args.db in ("postgres", "both"):
        import sqlalchemy as sa
        from run_postgres import postgres_server

        with postgres_server() as admin_url:
            engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text("CREATE DATABASE opora_load"))
            engine.dispose()
            run("PostgreSQL 15", admin_url.rsplit("/", 1)[0] + "/opora_load", args.seconds, args.workers, tmp)
    _ = nullcontext


if __name__ == "__main__":
    main()
