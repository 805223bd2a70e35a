"""Working together: comments with @mentions, notifications, presence and the live change feed.

Everything is in the database, so any number of app processes behave as one.
"""
from flask import Blueprint

bp = Blueprint("collab", __name__)

from . import access, routes  # noqa: E402,F401  (access: rules registered with the policy)
from . import history  # noqa: E402,F401  (labels for history and notifications)
