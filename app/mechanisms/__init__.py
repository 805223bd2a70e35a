"""Municipal quality-management mechanisms: the yearly self-assessment and the management cycle."""
from flask import Blueprint

bp = Blueprint("mechanisms", __name__)

from . import access, routes  # noqa: E402,F401  (access: rules registered with the policy)
from . import history  # noqa: E402,F401  (labels for history and notifications)
