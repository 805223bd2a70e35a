"""context data per school year

Revision ID: c12a00000004
Revises: c12a00000003
Create Date: 2026-12-01 22:10:00

"""
from datetime import date, datetime

from alembic import op
import sqlalchemy as sa


revision = 'c12a00000004'
down_revision = 'c12a00000003'
branch_labels = None
depends_on = None


def _school_year(day):
    return day.year if day.month >= 9 else day.year - 1


def upgrade():
    with op.batch_alter_table('context_value', schema=None) as batch_op:
        batch_op.add_column(sa.Column('school_year', sa.Integer(), nullable=True))

    # Existing values belong to the school year they were last entered in (the school's
    # "context" history event); without one, to the school year under way now.
    conn = op.get_bind()
    now = _school_year(date.today())
    entered = {}
    for org_id, created_at in conn.execute(sa.text(
            "SELECT object_id, MAX(created_at) FROM activity_event "
            "WHERE object_type = 'organisation' AND action = 'context' GROUP BY object_id")):
        if isinstance(created_at, str):  # SQLite returns the aggregate as text
            created_at = datetime.fromisoformat(created_at)
        if created_at is not None:
            entered[org_id] = _school_year(created_at.date())
    for (org_id,) in conn.execute(sa.text("SELECT DISTINCT organisation_id FROM context_value")).all():
        conn.execute(sa.text("UPDATE context_value SET school_year = :y WHERE organisation_id = :o"),
                     {"y": entered.get(org_id, now), "o": org_id})

    with op.batch_alter_table('context_value', schema=None) as batch_op:
        batch_op.alter_column('school_year', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_context_value_organisation_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_context_value_organisation_id'),
                                          ['organisation_id', 'factor_id', 'school_year'])

    # The threshold becomes "automatic" unless set: 20 was the old default nobody chose,
    # and it flagged every school.
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.alter_column('context_index_threshold', existing_type=sa.Double(), nullable=True,
                              server_default=None)
    conn.execute(sa.text("UPDATE municipality SET context_index_threshold = NULL "
                         "WHERE context_index_threshold = 20"))


def downgrade():
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE municipality SET context_index_threshold = 20 "
                         "WHERE context_index_threshold IS NULL"))
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.alter_column('context_index_threshold', existing_type=sa.Double(), nullable=False,
                              server_default='20')
    # Only the newest year of each school fits the old one-value-per-factor table.
    conn.execute(sa.text(
        "DELETE FROM context_value WHERE school_year < (SELECT MAX(v.school_year) FROM context_value v "
        "WHERE v.organisation_id = context_value.organisation_id)"))
    with op.batch_alter_table('context_value', schema=None) as batch_op:
        batch_op.drop_constraint('uq_context_value_organisation_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_context_value_organisation_id'),
                                          ['organisation_id', 'factor_id'])
        batch_op.drop_column('school_year')
