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
    # Accounts without a password (imported; they set one by a one-time link), temporary passwords.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.alter_column('password_hash', existing_type=sa.String(length=256), nullable=True)

    op.create_table('setup_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_setup_link_created_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_setup_link_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setup_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_setup_link_token_hash'))
    )
    with op.batch_alter_table('setup_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_setup_link_user_id'), ['user_id'], unique=False)

    # Throttling by (e-mail, address) pair instead of by e-mail alone.
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_email_time')
        batch_op.create_index('ix_login_attempt_pair_time', ['email', 'ip', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_pair_time')
        batch_op.create_index('ix_login_attempt_email_time', ['email', 'created_at'], unique=False)

    with op.batch_alter_table('setup_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_setup_link_user_id'))
    op.drop_table('setup_link')

    # An account without a password keeps none: "!" is no hash any password matches.
    op.execute(sa.text("UPDATE \"user\" SET password_hash = '!' WHERE password_hash IS NULL"))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=256), nullable=False)
        batch_op.drop_column('must_change_password')
