from flask import Blueprint

bp = Blueprint("orgs", __name__)

from . import (  # noqa: E402,F401  (access: rules registered with the policy)
    access,
    history,  # noqa: E402,F401  (labels for history and notifications)
    routes,
)
