"""accounts hardening (issue 13)

Revision ID: c13a00000001
Revises: c12a00000005
Create Date: 2026-12-02 01:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c13a00000001'
down_revision = 'c12a00000005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
