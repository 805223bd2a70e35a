"""Working together: comments with @mentions, notifications, presence and the live change feed.

Everything is in the database, so any number of app processes behave as one.
"""
from flask import Blueprint

bp = Blueprint("collab", __name__)

# access: rules registered with the policy; history: labels for history and notifications.
from . import access, history, routes
