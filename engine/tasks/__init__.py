"""Acting on one task: 转办, 退回, 委派, 抄送, comments, drafts, attachments, the task page."""
