"""ix_human_tasks_claimable_ids: the unclaimed open tasks by id, with their due and creation
dates.

A busy 科室待认领 queue's deep and newest-first pages look the user's candidate rows' task ids
up in human_tasks and sort what they find (engine.inbox.statements.claimable_ids_page):
through this partial index a claimed or closed task is no entry at all, and on PostgreSQL
each lookup is index-only; through the primary key each lookup also read the table row,
or (SQLite) the page walked the queue in due order as deep as it went (bench-inbox at 100k
instances: a section's 3,600 candidate rows; page 26 took 48 ms on PostgreSQL, 29 ms on
SQLite, newest first 87 / 25 ms).

On PostgreSQL the build holds a write lock on human_tasks while it runs (about a second at
a million task rows).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

CLAIMABLE = sa.text("assignee IS NULL AND status = 'open'")


def upgrade() -> None:
    # The dates are key columns on both databases (not PostgreSQL's INCLUDE): the model declares
    # one index for both, and each lookup is index-only either way.
    op.create_index('ix_human_tasks_claimable_ids', 'human_tasks', ['id', 'due_at', 'created_at'],
                    postgresql_where=CLAIMABLE, sqlite_where=CLAIMABLE)


def downgrade() -> None:
    op.drop_index('ix_human_tasks_claimable_ids', table_name='human_tasks')
