"""Computed, never typed: indicator progress and traffic light, task overdue, section totals."""
from collections import defaultdict

LIGHTS = ("green", "yellow", "red", "grey")


def meets(direction, actual, target):
    return actual >= target if direction == "higher" else actual <= target


def indicator_status(indicator, values_by_period, periods):
    """(light, progress %, latest period title) from the latest period that has an actual.

    green: the period's target is met; yellow: not met but moved from the baseline the right
    way; red: no move or a move the wrong way; grey: no actual yet.
    """
    latest = None
    for period in periods:
        value = values_by_period.get(period.id)
        if value is not None and value.actual is not None:
            latest = (period, value)
    if latest is None:
        return "grey", None, None
    period, value = latest
    progress = None
    final_target = None
    for p in reversed(periods):
        v = values_by_period.get(p.id)
        if v is not None and v.target is not None:
            final_target = v.target
            break
    if indicator.baseline is not None and final_target is not None and final_target != indicator.baseline:
        progress = round(100 * (value.actual - indicator.baseline) / (final_target - indicator.baseline))
    if value.target is not None and meets(indicator.direction, value.actual, value.target):
        return "green", progress, period.title
    if indicator.baseline is not None and value.actual != indicator.baseline and \
            meets(indicator.direction, value.actual, indicator.baseline):
        return "yellow", progress, period.title
    return "red", progress, period.title


def section_totals(sections, tasks, today):
    totals = {s.id: {"total": 0, "done": 0, "overdue": 0, "cancelled": 0} for s in sections}
    for task in tasks:
        t = totals.setdefault(task.section_id, {"total": 0, "done": 0, "overdue": 0, "cancelled": 0})
        t["total"] += 1
        if task.status == "done":
            t["done"] += 1
        elif task.status == "cancelled":
            t["cancelled"] += 1
        if task.is_overdue(today):
            t["overdue"] += 1
    for t in totals.values():
        active = t["total"] - t["cancelled"]
        t["percent"] = round(100 * t["done"] / active) if active else 0
    return totals


def group_values(values):
    """{indicator_id: {period_id: value}}"""
    grouped = defaultdict(dict)
    for v in values:
        grouped[v.indicator_id][v.period_id] = v
    return grouped


def sparkline(indicator, periods, values_by_period, width=160, height=40, pad=4):
    """Polyline points of targets and actuals over the periods, for a small inline SVG chart."""
    targets = [(i, values_by_period[p.id].target) for i, p in enumerate(periods)
               if p.id in values_by_period and values_by_period[p.id].target is not None]
    actuals = [(i, values_by_period[p.id].actual) for i, p in enumerate(periods)
               if p.id in values_by_period and values_by_period[p.id].actual is not None]
    numbers = [v for _, v in targets + actuals] + ([indicator.baseline] if indicator.baseline is not None else [])
    if not numbers or len(periods) < 2:
        return None
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(periods) - 1)

    def points(series):
        return " ".join(f"{pad + i * step:.1f},{height - pad - (v - low) / span * (height - 2 * pad):.1f}"
                        for i, v in series)

    last = actuals[-1] if actuals else None
    return {"width": width, "height": height, "targets": points(targets), "actuals": points(actuals),
            "last": ({"x": f"{pad + last[0] * step:.1f}",
                      "y": f"{height - pad - (last[1] - low) / span * (height - 2 * pad):.1f}"} if last else None),
            "low": low, "high": high}
