"""scope revisions: per-programme ordering of changes instead of one writers' lock

Revision ID: c14a00000001
Revises: c13a00000004
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c14a00000001'
down_revision = 'c13a00000004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scope_revision',
        sa.Column('scope', sa.String(length=60), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_scope_revision')),
    )
    with op.batch_alter_table('activity_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=True))
        batch_op.create_index('ix_activity_event_scope_revision', ['scope', 'revision'], unique=False)
    # Existing events: each scope's events numbered in id order (commit order under the old
    # writers' lock), and the scope's revision is its last number.
    op.execute(
        "UPDATE activity_event SET revision = (SELECT count(*) FROM activity_event AS e "
        "WHERE e.scope = activity_event.scope AND e.id <= activity_event.id) WHERE scope IS NOT NULL"
    )
    op.execute(
        "INSERT INTO scope_revision (scope, revision) SELECT scope, max(revision) FROM activity_event "
        "WHERE scope IS NOT NULL GROUP BY scope"
    )


def downgrade():
    with op.batch_alter_table('activity_event', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_event_scope_revision')
        batch_op.drop_column('revision')
    op.drop_table('scope_revision')
