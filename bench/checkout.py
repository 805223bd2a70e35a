"""What the benchmarks share: the checkout they measure and how a client signs in.

`--code PATH` measures another checkout of Opora (the code before a change, say) with the same
script; without it the checkout this file lives in. `use_checkout()` must run before anything
imports `app`.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Fast hashes: the benchmarks measure pages and saves, not logins.
CONFIG = {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# A row's version: a hidden input (before issue 14) or the status control's hx-vals (after).
ROW_VERSION = re.compile(r'name="version" value="(\d+)"|"version": ?(\d+)')


def code_path(argv=None):
    """The checkout named by --code PATH / --code=PATH, else this one."""
    argv = sys.argv if argv is None else argv
    for i, arg in enumerate(argv):
        if arg == "--code" and i + 1 < len(argv):
            return os.path.abspath(argv[i + 1])
        if arg.startswith("--code="):
            return os.path.abspath(arg.split("=", 1)[1])
    return ROOT


def use_checkout():
    """Import `app` (and find migrations/ and templates) from the checkout measured."""
    code = code_path()
    sys.path.insert(0, code)
    sys.path.insert(1, os.path.join(ROOT, "tests"))  # run_postgres.postgres_server, from this checkout
    os.chdir(code)
    return code


def login(client, email, password="demo12345"):
    """Sign a Flask test client in; returns the CSRF token htmx requests send in a header."""
    token = FORM.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    return META.search(client.get("/account/password").get_data(as_text=True)).group(1)


def row_version(html):
    return next(v for v in ROW_VERSION.search(html).groups() if v)
