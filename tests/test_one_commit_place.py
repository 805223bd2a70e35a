"""One transaction per user action, committed in one visible place (issue 14, item 3).

`app/transaction.py` is the only module that calls `Session.commit()`: the request commits
once after a successful non-GET, and work outside a request (CLI, export jobs, demo seeding)
or a step that must be durable first (a login attempt) calls `transaction.commit()`. Any
other `.commit` in `app/` — `db.session.commit()`, `session.commit()`, `connection.commit()`,
or `db.session.commit` handed over as a callback — is a second place and fails this test.
"""
import ast
import textwrap
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
THE_PLACE = APP / "transaction.py"


def _transaction_names(tree):
    """Names bound to the transaction module in this file (`from .. import transaction`,
    `from app import transaction as tx`, `import app.transaction as tx`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "transaction":
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] == "transaction" and alias.asname:
                    names.add(alias.asname)
    return names


def commits_in(source, filename="<source>"):
    """[(line, expression)] for every `.commit` that is not `transaction.commit`: calls and
    references alike (a commit passed as a callback is a commit too)."""
    tree = ast.parse(source, filename)
    allowed = _transaction_names(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "commit"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in allowed:
            continue
        found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_no_commit_outside_the_transaction_module():
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path == THE_PLACE or "translations" in path.parts:
            continue
        for line, expr in commits_in(path.read_text(encoding="utf-8"), str(path)):
            found.append(f"{path.relative_to(APP.parent)}:{line}: {expr}")
    print("\n".join(found))
    assert found == [], "commit outside app/transaction.py (use transaction.commit() or let the request commit):\n" \
        + "\n".join(found)


def test_the_checker_finds_a_commit_added_anywhere():
    source = textwrap.dedent("""
        from .. import transaction
        from ..transaction import commit
        from app import transaction as tx
        from ..extensions import db

        def save(session, connection, job):
            db.session.flush()
            transaction.commit()          # the one place: allowed
            tx.commit()                   # the same module under another name
            commit()                      # imported from the transaction module
            db.session.commit()           # line 12
            session.commit()              # line 13
            if job:
                connection.commit()       # line 15
            hook = db.session.commit      # line 16: a commit handed over for later
            self.session.commit()         # line 17
    """)
    assert commits_in(source) == [(12, "db.session.commit"), (13, "session.commit"), (15, "connection.commit"),
                                  (16, "db.session.commit"), (17, "self.session.commit")]
    # A name that only looks like the module is not it.
    assert commits_in("transaction = db.session\ntransaction.commit()\n") == [(2, "transaction.commit")]


def test_the_walk_reaches_every_area():
    """The walk sees the areas (a moved folder cannot slip out of it) and the one place itself."""
    files = {p.relative_to(APP).parts[0] for p in APP.rglob("*.py")}
    assert {"accounts", "orgs", "programmes", "visits", "collab", "exports", "dashboard", "demo", "cli.py"} <= files
    assert "db.session.commit" in {expr for _line, expr in commits_in(THE_PLACE.read_text(encoding="utf-8"))}
