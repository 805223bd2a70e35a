"""Teachers, professional-deficit diagnostics and individual routes (ИОМ)."""
from flask import Blueprint

bp = Blueprint("teachers", __name__)

from . import routes  # noqa: E402,F401
from . import history  # noqa: E402,F401  (labels for history and notifications)
