"""calendar_days: the working-day calendar (法定节假日 and 调休 working weekends), with the
2026 arrangement (国务院办公厅通知) and the 2027 statutory holidays (预排: 法定假日与补假 by the
national rules; replace it with `sanfu calendar import` once the 2027 notice is out).
Due dates and the supervision ladder count working days on it.

human_tasks.blue_at / yellow_at: when an open task turns blue (临近) and yellow (预警),
worked out when it opens (engine.calendar.deadlines); rows open before this revision get
them in natural time (75% of the span; one day before the deadline).

Revision ID: 0012
Revises: 0011
"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# Frozen here (a migration must not change with the files); tests/unit/test_calendar.py checks
# that processes/calendars/cn-2026.csv and cn-2027.csv say the same.
SHIPPED = [
    ('2026-01-01', 'rest', '元旦'),
    ('2026-01-02', 'rest', '元旦'),
    ('2026-01-03', 'rest', '元旦'),
    ('2026-01-04', 'work', '元旦调休上班'),
    ('2026-02-14', 'work', '春节调休上班'),
    ('2026-02-15', 'rest', '春节'),
    ('2026-02-16', 'rest', '春节'),
    ('2026-02-17', 'rest', '春节'),
    ('2026-02-18', 'rest', '春节'),
    ('2026-02-19', 'rest', '春节'),
    ('2026-02-20', 'rest', '春节'),
    ('2026-02-21', 'rest', '春节'),
    ('2026-02-22', 'rest', '春节'),
    ('2026-02-23', 'rest', '春节'),
    ('2026-02-28', 'work', '春节调休上班'),
    ('2026-04-04', 'rest', '清明节'),
    ('2026-04-05', 'rest', '清明节'),
    ('2026-04-06', 'rest', '清明节'),
    ('2026-05-01', 'rest', '劳动节'),
    ('2026-05-02', 'rest', '劳动节'),
    ('2026-05-03', 'rest', '劳动节'),
    ('2026-05-04', 'rest', '劳动节'),
    ('2026-05-05', 'rest', '劳动节'),
    ('2026-05-09', 'work', '劳动节调休上班'),
    ('2026-06-19', 'rest', '端午节'),
    ('2026-06-20', 'rest', '端午节'),
    ('2026-06-21', 'rest', '端午节'),
    ('2026-09-20', 'work', '国庆节调休上班'),
    ('2026-09-25', 'rest', '中秋节'),
    ('2026-09-26', 'rest', '中秋节'),
    ('2026-09-27', 'rest', '中秋节'),
    ('2026-10-01', 'rest', '国庆节'),
    ('2026-10-02', 'rest', '国庆节'),
    ('2026-10-03', 'rest', '国庆节'),
    ('2026-10-04', 'rest', '国庆节'),
    ('2026-10-05', 'rest', '国庆节'),
    ('2026-10-06', 'rest', '国庆节'),
    ('2026-10-07', 'rest', '国庆节'),
    ('2026-10-10', 'work', '国庆节调休上班'),
    ('2027-01-01', 'rest', '元旦'),
    ('2027-02-05', 'rest', '春节'),
    ('2027-02-06', 'rest', '春节'),
    ('2027-02-07', 'rest', '春节'),
    ('2027-02-08', 'rest', '春节'),
    ('2027-02-09', 'rest', '春节补假'),
    ('2027-02-10', 'rest', '春节补假'),
    ('2027-04-05', 'rest', '清明节'),
    ('2027-05-01', 'rest', '劳动节'),
    ('2027-05-02', 'rest', '劳动节'),
    ('2027-05-03', 'rest', '劳动节补假'),
    ('2027-05-04', 'rest', '劳动节补假'),
    ('2027-06-09', 'rest', '端午节'),
    ('2027-09-15', 'rest', '中秋节'),
    ('2027-10-01', 'rest', '国庆节'),
    ('2027-10-02', 'rest', '国庆节'),
    ('2027-10-03', 'rest', '国庆节'),
    ('2027-10-04', 'rest', '国庆节补假'),
    ('2027-10-05', 'rest', '国庆节补假'),
]


def upgrade() -> None:
    table = op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.bulk_insert(table, [{"day": date.fromisoformat(d), "kind": k, "name": n} for d, k, n in SHIPPED])
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blue_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('yellow_at', sa.DateTime(timezone=True), nullable=True))
    _backfill_warnings()


def _backfill_warnings() -> None:
    tasks = sa.table('human_tasks', sa.column('id', sa.String), sa.column('status', sa.String),
                     sa.column('created_at', sa.DateTime(timezone=True)), sa.column('due_at', sa.DateTime(timezone=True)),
                     sa.column('blue_at', sa.DateTime(timezone=True)), sa.column('yellow_at', sa.DateTime(timezone=True)))
    connection = op.get_bind()
    rows = connection.execute(sa.select(tasks.c.id, tasks.c.created_at, tasks.c.due_at)
                              .where(tasks.c.status == 'open', tasks.c.due_at.is_not(None))).all()
    for task_id, created, due in rows:
        blue = created + (due - created) * 0.75 if due > created else due
        yellow = min(due - timedelta(days=1), due)
        connection.execute(tasks.update().where(tasks.c.id == task_id).values(blue_at=blue, yellow_at=yellow))


def downgrade() -> None:
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('yellow_at')
        batch_op.drop_column('blue_at')
    op.drop_table('calendar_days')
