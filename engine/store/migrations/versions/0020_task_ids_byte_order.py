"""Task ids compare byte by byte on PostgreSQL (COLLATE "C").

Task ids are SpiffWorkflow's UUIDs as text. Under a database's own collation (C.UTF-8 here,
zh_CN.UTF-8 in a bureau's production database) PostgreSQL compares text with strcoll, and
does so for every key a btree descent passes. A busy 科室待认领 queue's deep page probes
ix_human_tasks_claimable_ids once per candidate task id (3,607 ids for one section at
100,000 instances): at a million task rows that statement went from 6.2 to 5.2 ms
(`sanfu bench-inbox`'s deep pages, 10–13% a page). Under "C" the order of two ids is the
order of their bytes, which for UUID text (hex digits and hyphens) is also C.UTF-8's order.

Every task-id column changes at once: PostgreSQL uses an index for a comparison only under
the index's collation, so a join of a "C" column with a default-collated one would lose it.

A change of collation between varchar types rewrites no table, but every index on these
columns is built again, under a write lock on its table (about 1.5 s at a million task rows).
SQLite compares text bytewise already (BINARY): nothing to do there.

Revision ID: 0020
Revises: 0019
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

TASK_ID_COLUMNS = (
    ('human_tasks', 'id'),
    ('task_candidates', 'task_id'),
    ('timers', 'task_id'),
    ('audit_events', 'task_id'),
    ('event_subscriptions', 'task_id'),
    ('filings', 'task_id'),
    ('attachments', 'task_id'),
    ('rating_links', 'task_id'),
    ('task_comments', 'task_id'),
    ('task_copies', 'task_id'),
    ('task_drafts', 'task_id'),
    ('notifications', 'task_id'),
    ('deadline_extensions', 'task_id'),
    ('efficiency_warnings', 'task_id'),
    ('escalations', 'task_id'),
    ('service_contacts', 'task_id'),
    ('urges', 'task_id'),
    ('supervision_records', 'task_id'),
    ('task_cosigns', 'task_id'),
)


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column in TASK_ID_COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(36) COLLATE "{collation}"')


def upgrade() -> None:
    _collate('C')


def downgrade() -> None:
    _collate('default')
