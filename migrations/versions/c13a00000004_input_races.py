"""input races (issue 13): reference lists written once, not by the pages that show them

Until now the observation checklist, the deficit catalogue and the mechanisms catalogue were
created by the first page that read them (a GET that wrote). They now come with the
municipality (app.provisioning.provide_reference_lists); this gives them to every existing
municipality that has not opened those pages yet, so that its pages, which only read now,
are not empty. No schema change.

Revision ID: c13a00000004
Revises: c13a00000003
Create Date: 2026-12-02 01:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c13a00000004'
down_revision = 'c13a00000003'
branch_labels = None
depends_on = None

# The tables as they are at this revision (later revisions may add columns the ORM would write).
municipality = sa.table('municipality', sa.column('id', sa.Integer))
observation_criterion = sa.table(
    'observation_criterion', sa.column('municipality_id', sa.Integer), sa.column('position', sa.Integer),
    sa.column('text', sa.String), sa.column('is_active', sa.Boolean))
deficit_area = sa.table(
    'deficit_area', sa.column('municipality_id', sa.Integer), sa.column('category', sa.String),
    sa.column('name', sa.String), sa.column('position', sa.Integer), sa.column('is_active', sa.Boolean))
mechanism = sa.table(
    'mechanism', sa.column('id', sa.Integer), sa.column('municipality_id', sa.Integer),
    sa.column('group', sa.String), sa.column('code', sa.String), sa.column('name', sa.String),
    sa.column('position', sa.Integer), sa.column('is_active', sa.Boolean), sa.column('version', sa.Integer))
mechanism_criterion = sa.table(
    'mechanism_criterion', sa.column('municipality_id', sa.Integer), sa.column('mechanism_id', sa.Integer),
    sa.column('text', sa.Text), sa.column('max_points', sa.Integer), sa.column('position', sa.Integer),
    sa.column('is_active', sa.Boolean), sa.column('version', sa.Integer))


def _without(bind, table):
    """Municipalities that have no row in `table`."""
    has = sa.select(table.c.municipality_id).where(table.c.municipality_id == municipality.c.id).exists()
    return bind.execute(sa.select(municipality.c.id).where(~has).order_by(municipality.c.id)).scalars().all()


def upgrade():
    bind = op.get_bind()
    lacking = {name: _without(bind, table) for name, table in (
        ("checklist", observation_criterion), ("deficits", deficit_area), ("mechanisms", mechanism))}
    if not any(lacking.values()):
        return  # a new installation: nothing to give
    # The lists as the application ships them (imported only when some municipality needs them).
    from app.mechanisms.services import DEFAULT_MAX_POINTS
    from app import catalogue
    from app.visits.services import DEFAULT_CHECKLIST

    for municipality_id in lacking["checklist"]:
        bind.execute(observation_criterion.insert(), [
            {"municipality_id": municipality_id, "position": position, "text": text, "is_active": True}
            for position, text in enumerate(DEFAULT_CHECKLIST, start=1)])
    for municipality_id in lacking["deficits"]:
        rows = [{"category": category["code"], "name": name} for category in catalogue.DEFICIT_CATEGORIES
                for name in category["areas"]]
        bind.execute(deficit_area.insert(), [dict(row, municipality_id=municipality_id, position=position,
                                                  is_active=True) for position, row in enumerate(rows, start=1)])
    for municipality_id in lacking["mechanisms"]:
        for position, item in enumerate(catalogue.MECHANISMS, start=1):
            bind.execute(mechanism.insert().values(
                municipality_id=municipality_id, group=item["group"], code=item["code"], name=item["name"],
                position=position, is_active=True, version=1))
            mechanism_id = bind.execute(sa.select(mechanism.c.id).where(
                mechanism.c.municipality_id == municipality_id, mechanism.c.code == item["code"])).scalar_one()
            bind.execute(mechanism_criterion.insert(), [
                {"municipality_id": municipality_id, "mechanism_id": mechanism_id,
                 "text": criterion["text"][0].upper() + criterion["text"][1:], "max_points": maximum,
                 "position": number, "is_active": True, "version": 1}
                for number, (criterion, maximum) in enumerate(
                    zip(item["criteria"], DEFAULT_MAX_POINTS[item["code"]]), start=1)])


def downgrade():
    # The lists are the municipalities' own data from now on (edited, scored against): kept.
    pass
