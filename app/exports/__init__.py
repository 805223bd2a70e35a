"""Excel summaries, the programme document, imports of schools and users."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

from . import access, routes  # noqa: E402,F401  (access: rules registered with the policy)
