"""Access to user accounts: everyone reads their own; the admin manages the municipality's."""
from .. import policy
from .models import User


@policy.register(User)
def user_account(user, action, other):
    if action == "view" and other.id == user.id:
        return True
    return user.role == "admin"
