"""Imports every area's models, so SQLAlchemy and Alembic see the whole schema."""
from .accounts.models import LoginAttempt, User  # noqa: F401
from .activity.models import ActivityEvent  # noqa: F401
from .collab.models import Attachment, Comment, Notification, Presence  # noqa: F401,E402
from .exports.models import ExportJob  # noqa: F401,E402
from .mechanisms.models import Mechanism, MechanismCriterion, MechanismScore  # noqa: F401,E402
from .orgs.models import ContextFactor, ContextValue, Municipality, Organisation, Partnership  # noqa: F401
from .programmes.models import (  # noqa: F401,E402
    Goal,
    Indicator,
    IndicatorValue,
    PeriodReport,
    Programme,
    ReportingPeriod,
    Section,
    Task,
)
from .selection.models import (  # noqa: F401,E402
    CardCriterion,
    CardScore,
    CardYear,
    RiskFactor,
    SchoolRisk,
    ShnorDecision,
)
from .teachers.models import DeficitArea, DeficitFinding, DiagnosticSession, RouteStep, Teacher  # noqa: F401,E402
from .visits.models import Event, LessonObservation, ObservationCriterion, Recommendation, Visit  # noqa: F401,E402
