"""How the mechanisms self-assessment appears in history (see activity.labels)."""
from flask_babel import lazy_gettext as _l

from ..activity.labels import FLAG, NUMBER, TEXT, register
from .forms import CRITERION_LABELS, SCORE_LABELS

FORMATS = {"points": NUMBER, "max_points": NUMBER, "is_active": FLAG}

register("mechanismcriterion", _l("Критерий механизма"),
         {name: (label, FORMATS.get(name, TEXT)) for name, label in CRITERION_LABELS.items()})
register("mechanismscore", _l("Самооценка"),
         {name: (label, FORMATS.get(name, TEXT)) for name, label in SCORE_LABELS.items()})
