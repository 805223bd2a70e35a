"""Methodological visits, lesson observations, targeted recommendations and events."""
from flask import Blueprint

bp = Blueprint("visits", __name__)

# access: rules registered with the policy; history: labels for history and notifications
from . import access, history, routes  # noqa: E402,F401
