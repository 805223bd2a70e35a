"""export heartbeat (issue 13)

Revision ID: c13a00000003
Revises: c13a00000002
Create Date: 2026-12-02 01:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c13a00000003'
down_revision = 'c13a00000002'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: rows written before the heartbeat fall back to created_at.
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
