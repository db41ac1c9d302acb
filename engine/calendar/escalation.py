"""The escalation ladder's terms (逐级督办): once a task is red (超期), its section head hears of
it at once; after N more working days its 分管领导; after M, it is listed for supervision
(挂牌督办) with a 督办单. N, M and who hears of each step are set per process (or per task)
in the model's 扩展属性:

    sanfu:ladderLeaderDays   N (default 2)   sanfu:ladderListDays   M (default 5; "0" = never list)
    sanfu:ladderRedNotify    roles told when it turns red       (default "holder,section_head")
    sanfu:ladderLeaderNotify roles told at red + N              (default "leader,section_head")
    sanfu:ladderListNotify   roles told at red + M (挂牌督办)    (default "supervisor,leader,section_head,holder")

Roles: holder (the assignee, or the section's candidates when unclaimed), section_head, leader
(the section's 分管领导), supervisor (the unit's 督查人员), starter (who started the instance)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.calendar.days import WorkCalendar

SECTION_HEAD, LEADER, LISTED = "section_head", "leader", "listed"
STEPS = (SECTION_HEAD, LEADER, LISTED)  # human_tasks.ladder_step 1, 2, 3
STEP_WORDS = {SECTION_HEAD: "超期提醒科室负责人", LEADER: "超期报分管领导", LISTED: "挂牌督办"}
NOTIFY_ROLES = ("holder", "section_head", "leader", "supervisor", "starter")
LEADER_DAYS, LIST_DAYS = 2, 5
DEFAULT_NOTIFY = {SECTION_HEAD: ("holder", "section_head"), LEADER: ("leader", "section_head"),
                  LISTED: ("supervisor", "leader", "section_head", "holder")}
NAMES = {"leader_days": "sanfu:ladderLeaderDays", "list_days": "sanfu:ladderListDays",
         "notify_section_head": "sanfu:ladderRedNotify", "notify_leader": "sanfu:ladderLeaderNotify",
         "notify_listed": "sanfu:ladderListNotify"}  # meta["ladder"] key -> 扩展属性 (engine.dialects.assignment)


@dataclass(frozen=True)
class LadderTerms:
    leader_days: int = LEADER_DAYS
    list_days: int = LIST_DAYS  # 0: never listed
    notify: dict = field(default_factory=lambda: dict(DEFAULT_NOTIFY))

    @classmethod
    def of(cls, ladder: dict | None) -> LadderTerms:
        """From a task's meta (deploy has checked the values: ladder_error)."""
        ladder = ladder or {}
        notify = dict(DEFAULT_NOTIFY)
        for step in STEPS:
            if ladder.get(f"notify_{step}"):
                notify[step] = tuple(_roles(ladder[f"notify_{step}"]))
        return cls(int(ladder.get("leader_days", LEADER_DAYS)), int(ladder.get("list_days", LIST_DAYS)), notify)

    def step_reached(self, calendar: WorkCalendar, due_at: datetime | None, now: datetime) -> int:
        """The ladder step a task due at `due_at` has reached by `now`: 0 (not red), 1, 2 or 3."""
        if due_at is None or now <= due_at:
            return 0
        step = 1
        if now >= calendar.add_working_days(due_at, self.leader_days):
            step = 2
            if self.list_days and now >= calendar.add_working_days(due_at, self.list_days):
                step = 3
        return step


def _roles(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]


def ladder_error(ladder: dict) -> str | None:
    """Why a model's ladder terms cannot be used, or None."""
    days = {}
    for key in ("leader_days", "list_days"):
        name = NAMES[key]
        if key in ladder:
            try:
                days[key] = int(str(ladder[key]).strip())
            except ValueError:
                days[key] = -1
            if not 0 <= days[key] <= 60:
                return f"{name} 应为 0 到 60 之间的工作日数，实际为 {ladder[key]!r}"
    leader = days.get("leader_days", LEADER_DAYS)
    listed = days.get("list_days", LIST_DAYS)
    if listed and listed < leader:
        return f"sanfu:ladderListDays（{listed}）不应早于 sanfu:ladderLeaderDays（{leader}）：挂牌督办在报分管领导之后"
    for step in STEPS:
        unknown = [r for r in _roles(ladder.get(f"notify_{step}", "")) if r not in NOTIFY_ROLES]
        if unknown:
            return f"{NAMES[f'notify_{step}']} 含未知角色 {', '.join(unknown)}；可用：{', '.join(NOTIFY_ROLES)}"
    return None
