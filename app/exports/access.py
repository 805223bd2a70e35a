"""Access to export jobs: each person sees only their own."""
from .. import policy
from .models import ExportJob


@policy.register(ExportJob)
def export_job(user, action, job):
    return job.user_id == user.id
