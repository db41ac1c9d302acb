"""加签 (co-signers before or after the holder of a step): filled in by the 加签 work.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_cosigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('cosigner', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opinion', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task_cosigns', schema=None) as batch_op:
        batch_op.create_index('ix_task_cosigns_task', ['task_id', 'status'], unique=False)
        batch_op.create_index('ix_task_cosigns_cosigner', ['cosigner', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task_cosigns', schema=None) as batch_op:
        batch_op.drop_index('ix_task_cosigns_cosigner')
        batch_op.drop_index('ix_task_cosigns_task')
    op.drop_table('task_cosigns')
