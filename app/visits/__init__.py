"""Methodological visits, lesson observations, targeted recommendations and events."""
from flask import Blueprint

bp = Blueprint("visits", __name__)

from . import access, routes  # noqa: E402,F401  (access: rules registered with the policy)
from . import history  # noqa: E402,F401  (labels for history and notifications)
