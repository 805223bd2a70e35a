from flask import Blueprint

bp = Blueprint("programmes", __name__)

# access: rules registered with the policy; history: labels for history and notifications.
from . import access, history, routes
