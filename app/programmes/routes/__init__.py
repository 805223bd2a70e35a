"""The programme's routes, one module per sub-resource; all on the `programmes` blueprint.
Routes parse and authorize; services change state; the request commits (app/transaction.py)."""
from . import indicators, live, page, passport, reports, tasks  # noqa: F401
