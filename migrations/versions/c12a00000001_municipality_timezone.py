"""municipality time zone

Revision ID: c12a00000001
Revises: b351d08526d7
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c12a00000001'
down_revision = 'b351d08526d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='Asia/Krasnoyarsk', nullable=False))


def downgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_column('timezone')
