"""The notification centre: a person hears of work handed to them — by an admin's 指派 or a
colleague's 转办 — not of their own acts, and marks what they have read (only their own)."""
from tests.helpers.models import chain, process, user_task, write

MODEL = process("visit", chain(user_task("record", "记录走访", candidateGroups="water")))


def test_assigned_and_transferred_work_is_notified_and_read_once(people, tmp_path):
    people.deploy([write(tmp_path, "visit.bpmn", MODEL)], "designer")
    people.start("visit", "water1")
    task = people.tasks("water1")[0]
    people.assign(task["id"], "water1", "admin")
    mine = people.notifications("water1")
    assert mine["unread"] == 1 and [(n["kind"], n["sender"], n["read"]) for n in mine["rows"]] == \
        [("assigned", "admin", False)]
    assert mine["rows"][0]["text"] == "任务指派给你：记录走访" and mine["rows"][0]["task_id"] == task["id"]

    people.transfer(task["id"], "water1", reason="出差，请代办", to_user="water2")
    theirs = people.notifications("water2")["rows"]
    assert [(n["kind"], n["sender"]) for n in theirs] == [("transferred", "water1")]
    assert "出差，请代办" in theirs[0]["text"]
    assert people.notifications("water1")["unread"] == 1          # nothing for passing it on yourself

    assert people.mark_notifications_read("water2", [mine["rows"][0]["id"]]) == 0   # not theirs to mark
    assert people.mark_notifications_read("water1") == 1
    assert people.unread_notifications("water1") == 0 and people.notifications("water1")["rows"][0]["read"]
    assert people.notifications("water2", unread_only=True)["rows"][0]["kind"] == "transferred"
