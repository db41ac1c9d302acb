"""notifications: each person's notification centre (通知), fed by assignments, transfers,
returns, delegations and copies now, by the supervision ladder and 催办 later.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('sender', sa.String(length=64), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('dedupe_key', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    op.create_index('ix_notifications_recipient', 'notifications', ['recipient', 'read_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_notifications_recipient', table_name='notifications')
    op.drop_table('notifications')
