"""instances.subject and human_tasks.subject: what a piece of work without an enterprise is
about (a 12369 complaint's category and summary), so the inbox can say it where it would
show the enterprise. Copied to the task rows so the inbox reads it without a join.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('instances', 'human_tasks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('subject', sa.String(length=200), nullable=True))


def downgrade() -> None:
    for table in ('instances', 'human_tasks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('subject')
