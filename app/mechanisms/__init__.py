"""Municipal quality-management mechanisms: the yearly self-assessment and the management cycle."""
from flask import Blueprint

bp = Blueprint("mechanisms", __name__)

from . import routes  # noqa: E402,F401
from . import history  # noqa: E402,F401  (labels for history and notifications)
