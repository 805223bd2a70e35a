"""Excel summaries, the programme document, imports of schools and users."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

from . import routes  # noqa: E402,F401
