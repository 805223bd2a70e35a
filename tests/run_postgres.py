#!/usr/bin/env python3
"""Run pytest against a throwaway PostgreSQL server that this script starts and stops.

The server refuses to run as root, so as root it runs as the `postgres` OS user
(runuser); as any other user it runs as that user. Usage: run_postgres.py [pytest args].
"""
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile


def find_bin():
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"):
        for path in sorted(glob.glob(pattern), reverse=True):
            if os.path.exists(os.path.join(path, "initdb")):
                return path
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    sys.exit("PostgreSQL server binaries not found: apt-get install -y postgresql")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL server on a free port; yields the admin URL (database "postgres")."""
    bindir = find_bin()
    as_root = os.geteuid() == 0
    base = tempfile.mkdtemp(prefix="opora-pg-", dir="/tmp")
    os.chmod(base, 0o777)
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        subprocess.run(["chown", "postgres", base], check=True)
    data = os.path.join(base, "data")
    port = free_port()

    def pg(cmd, *args, **kwargs):
        return subprocess.run(prefix + [os.path.join(bindir, cmd), *args], check=True, **kwargs)

    pg("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
       stdout=subprocess.DEVNULL)
    pg("pg_ctl", "-D", data, "-w", "-l", os.path.join(base, "server.log"), "start", "-o",
       f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c synchronous_commit=off "
       f"-c full_page_writes=off -c max_connections=200", stdout=subprocess.DEVNULL)
    try:
        print(f"PostgreSQL {os.path.basename(os.path.dirname(bindir))} on 127.0.0.1:{port}", flush=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        pg("pg_ctl", "-D", data, "-m", "fast", "-w", "stop", stdout=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)


def main():
    with postgres_server() as url:
        code = subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]],
                               env=dict(os.environ, TEST_DATABASE_URL=url))
    sys.exit(code)


if __name__ == "__main__":
    main()
