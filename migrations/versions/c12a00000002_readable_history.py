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
    pass


def downgrade():
    pass
