"""Supervision (督办): the escalation ladder's steps (escalations; human_tasks.ladder_step), 督办单
records and their history, 催办 (urges; human_tasks.urge_count), 延期申请 (deadline_extensions;
human_tasks.original_due_at keeps the first deadline for 按期办结率), 效能告诫, the liaison's
service contacts, the email outbox (users.email, users.email_mode), the periodic scheduler
jobs' last runs, and the indexes that serve "open / completed tasks of these units".

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deadline_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('new_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=2000), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_extensions_pending', ['section_id', 'status'], unique=False)
        batch_op.create_index('ix_deadline_extensions_task', ['task_id', 'id'], unique=False)

    op.create_table('efficiency_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('person', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('efficiency_warnings', schema=None) as batch_op:
        batch_op.create_index('ix_efficiency_warnings_person', ['person', 'created_at'], unique=False)
        batch_op.create_index('ix_efficiency_warnings_unit', ['unit_id', 'created_at'], unique=False)

    op.create_table('email_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('lease_owner', sa.String(length=128), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_email_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_outbox_recipient'), ['recipient'], unique=False)

    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id', 'step', 'due_at')
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalations_instance_id'), ['instance_id'], unique=False)

    op.create_table('scheduled_job_runs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=128), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('service_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('liaison', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('contacted_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id')
    )
    with op.batch_alter_table('service_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_service_contacts_day', ['contacted_on'], unique=False)
        batch_op.create_index('ix_service_contacts_enterprise', ['enterprise_id', 'contacted_on'], unique=False)

    op.create_table('supervision_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.String(length=2000), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('responsible', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id'),
    sa.UniqueConstraint('year', 'serial')
    )
    with op.batch_alter_table('supervision_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_records_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_records_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_supervision_records_status', ['status', 'year'], unique=False)
        batch_op.create_index('ix_supervision_records_unit', ['unit_id', 'status', 'opened_at'], unique=False)

    op.create_table('urges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('urges', schema=None) as batch_op:
        batch_op.create_index('ix_urges_at', ['created_at'], unique=False)
        batch_op.create_index('ix_urges_task', ['task_id', 'id'], unique=False)

    op.create_table('supervision_record_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['supervision_records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('supervision_record_events', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_record_events_record', ['record_id', 'id'], unique=False)

    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladder_step', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('ladder_next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('urge_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('original_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_human_tasks_done_unit', ['unit_id', 'completed_at'], unique=False, postgresql_where=sa.text("status = 'completed'"), sqlite_where=sa.text("status = 'completed'"))
        batch_op.create_index('ix_human_tasks_ladder', ['ladder_next_at'], unique=False, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_human_tasks_open_unit', ['unit_id', 'due_at', 'yellow_at', 'blue_at'], unique=False, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    # Open tasks from before: their ladder starts at their deadline.
    op.execute("UPDATE human_tasks SET ladder_next_at = due_at WHERE status = 'open'")

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('email_mode', sa.String(length=16), server_default='off', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_mode')
        batch_op.drop_column('email')

    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_ladder', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_human_tasks_open_unit', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_human_tasks_done_unit', postgresql_where=sa.text("status = 'completed'"), sqlite_where=sa.text("status = 'completed'"))
        batch_op.drop_column('original_due_at')
        batch_op.drop_column('urge_count')
        batch_op.drop_column('ladder_next_at')
        batch_op.drop_column('ladder_step')

    with op.batch_alter_table('supervision_record_events', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_record_events_record')

    op.drop_table('supervision_record_events')
    with op.batch_alter_table('urges', schema=None) as batch_op:
        batch_op.drop_index('ix_urges_task')
        batch_op.drop_index('ix_urges_at')

    op.drop_table('urges')
    with op.batch_alter_table('supervision_records', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_records_unit')
        batch_op.drop_index('ix_supervision_records_status')
        batch_op.drop_index(batch_op.f('ix_supervision_records_instance_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_records_enterprise_id'))

    op.drop_table('supervision_records')
    with op.batch_alter_table('service_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_service_contacts_enterprise')
        batch_op.drop_index('ix_service_contacts_day')

    op.drop_table('service_contacts')
    op.drop_table('scheduled_job_runs')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalations_instance_id'))
        batch_op.drop_index('ix_escalations_at')

    op.drop_table('escalations')
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_outbox_recipient'))
        batch_op.drop_index('ix_email_outbox_due')

    op.drop_table('email_outbox')
    with op.batch_alter_table('efficiency_warnings', schema=None) as batch_op:
        batch_op.drop_index('ix_efficiency_warnings_unit')
        batch_op.drop_index('ix_efficiency_warnings_person')

    op.drop_table('efficiency_warnings')
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_extensions_task')
        batch_op.drop_index('ix_deadline_extensions_pending')

    op.drop_table('deadline_extensions')
