"""How areas hear of each other without importing each other (blinker, as indico does).

An area sends a signal about its own objects; another area connects a receiver in its own
code (`@signals.task_changed.connect`). The sender never knows who listens.
"""
from blinker import Namespace

_signals = Namespace()

# A task of a programme was saved with changes: sender is the task; kwargs actor, changes.
# Visits close the recommendations the task was made from.
task_changed = _signals.signal("task-changed")

# Where a task came from: sender is the task; each receiver returns [(label, url)].
task_links = _signals.signal("task-links")

# Catalogue names of sections made from another area's catalogue: sender is a list of section
# ids; each receiver returns {section id: title} (an antirisk direction is named after its
# risk factor). Every reader may see such names, unlike titles people typed.
section_titles = _signals.signal("section-titles")

# A section is about to be deleted from its programme: sender is the section; kwargs actor.
# Selection detaches the risk the section was made from (and says so in its history).
section_removed = _signals.signal("section-removed")

# A partnership's years are about to change: sender is the partnership; kwargs start_year,
# end_year. A receiver returns a message when something of its area would fall outside.
partnership_years = _signals.signal("partnership-years")


def collect(signal, sender, **kwargs):
    """The receivers' answers to a question-like signal, in connection order."""
    return [answer for _receiver, answer in signal.send(sender, **kwargs) if answer]
