"""event subscriptions: instances waiting on messages and signals

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'event_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_event_subscriptions_lookup', ['kind', 'name', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_subscriptions_instance_id'), ['instance_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_subscriptions_instance_id'))
        batch_op.drop_index('ix_event_subscriptions_lookup')
    op.drop_table('event_subscriptions')
