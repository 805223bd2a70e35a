"""integrity: planned visits, ШНОР exit decisions

Revision ID: c12a00000003
Revises: c12a00000002
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c12a00000003'
down_revision = 'c12a00000002'
branch_labels = None
depends_on = None


def upgrade():
    # Visits gain the status "planned" (a string column: no schema change for that).
    with op.batch_alter_table('shnor_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_date', sa.Date(), nullable=True))
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ended_reason', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('ended_reason')
        batch_op.drop_column('ended_on')
    with op.batch_alter_table('shnor_decision', schema=None) as batch_op:
        batch_op.drop_column('decision_date')
