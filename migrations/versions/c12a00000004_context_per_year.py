"""context data per school year

Revision ID: c12a00000004
Revises: c12a00000003
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c12a00000004'
down_revision = 'c12a00000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
