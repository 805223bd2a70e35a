"""history and notifications as a kind and parameters

Revision ID: c12a00000002
Revises: c12a00000001
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c12a00000002'
down_revision = 'c12a00000001'
branch_labels = None
depends_on = None


def upgrade():
    # Old rows keep their Russian summary / text as the fallback; new rows store a msgid and
    # its parameters, translated when shown.
    with op.batch_alter_table('activity_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('message')
    with op.batch_alter_table('activity_event', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('message')
