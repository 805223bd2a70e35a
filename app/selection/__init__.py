"""Finding the schools that need support: the diagnostic card (seed 004), the context index
(seed 002, appendix 1), the risk profile («500+»), decisions, and the department's watchlist."""
from flask import Blueprint

bp = Blueprint("selection", __name__)

from . import (  # noqa: E402,F401  (access: rules registered with the policy)
    access,
    history,  # noqa: E402,F401  (labels for history and notifications)
    routes,
)
