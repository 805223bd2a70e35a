"""Who a request's session belongs to, as a SQL fragment for hot paths."""
import functools

from ..extensions import db
from .models import User


@functools.cache
def active_user_id():
    """A scalar subquery: the id of the active user whose current session token is the bound
    parameter `session_token`. Built once: hot paths embed it in their own single statement."""
    return db.select(User.id).where(User.session_token == db.bindparam("session_token"),
                                    User.is_active_account.is_(True),
                                    User.must_change_password.is_(False)).scalar_subquery()
