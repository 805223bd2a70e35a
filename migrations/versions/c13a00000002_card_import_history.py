"""card import history (issue 13): each confirmed upload of card scores, cell by cell, for reading and undo

Revision ID: c13a00000002
Revises: c13a00000001
Create Date: 2026-12-02 01:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c13a00000002'
down_revision = 'c13a00000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('card_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cells', sa.Integer(), nullable=False),
    sa.Column('schools', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_card_import_actor_id_user')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'],
                            name=op.f('fk_card_import_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['user.id'], name=op.f('fk_card_import_undone_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_import'))
    )
    with op.batch_alter_table('card_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_import_municipality_id'), ['municipality_id'], unique=False)


def downgrade():
    with op.batch_alter_table('card_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_import_municipality_id'))
    op.drop_table('card_import')
