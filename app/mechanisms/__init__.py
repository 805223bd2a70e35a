"""Municipal quality-management mechanisms: the yearly self-assessment and the management cycle."""
from flask import Blueprint

bp = Blueprint("mechanisms", __name__)

from . import (  # noqa: E402,F401  (access: rules registered with the policy)
    access,
    history,  # noqa: E402,F401  (labels for history and notifications)
    routes,
)
