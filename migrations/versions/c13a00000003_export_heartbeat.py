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
    pass


def downgrade():
    pass
