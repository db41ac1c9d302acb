"""`sanfu demo`: a believable province built through the same Engine API users go through.

One province department, two city bureaus, four county bureaus with their sections, people
in every role, 20 paired enterprises (one of them also paired by its city: 扎堆服务), the
bureaus' models, and instances of 结对服务, 台账事项 and 12369 at every stage, driven there
by their users (claim, complete, hand over, transfer) on a clock set back to when each step
happened, so deadlines are realistic: some are overdue today, some are not. Timers due by
now are then fired, as the scheduler would. The data is in engine.demo.data; logins are
listed in the README. Running it again changes nothing.
"""
from __future__ import annotations

import time as timer
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from engine import clock, config
from engine.demo import data
from engine.demo.deadline_actions import add_deadline_actions
from engine.demo.monthly_service import add_monthly_service
from engine.demo.supervision import load_supervision
from engine.org import directory
from engine.org.directory import Pairing, Person
from engine.store.org_tables import Enterprise, LedgerMatter, Section, Unit, UserRole
from engine.store.tables import HumanTask, Instance, User

PROCESSES = config.PROCESSES_DIR
FORMS = config.FORMS_DIR
MODELS = ["enterprise_service.bpmn", "ledger_matter.bpmn", "complaint_12369.bpmn", "routing.dmn"]
EXTRA_MODELS = ["bench_three_user_tasks.bpmn", "demo_visit.bpmn"]
ADMIN = "admin"
SEPARATE_ROLES = ("security_admin", "audit_admin")


DEMO_PASSWORD = "sanfu-demo-2026"  # every demo login's password (README); never for real use


def load_demo(engine) -> list[str]:
    with engine.uow(write=False) as uow:
        if uow.session.scalar(select(Unit.id).where(Unit.code == data.UNITS[0][0])) is not None:
            return ["演示数据已存在，未做任何更改 (demo already loaded; nothing changed)"]
    began = timer.monotonic()
    engine.forms_dir = FORMS
    units = _build_org(engine)
    enterprises = _pair_enterprises(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "designer")
    engine.deploy([PROCESSES / name for name in EXTRA_MODELS], "designer")
    Province(engine, units, enterprises).act(data.STORIES)
    fired = engine.fire_due_timers(owner="demo")
    supervised = load_supervision(engine, enterprises)
    add_monthly_service(engine)  # contacts this month and last; a liaison who missed last month
    supervised += add_deadline_actions(engine)  # 催办, 效能告诫, a 延期申请 waiting for its section head
    lines = [f"演示数据已建立，用时 {timer.monotonic() - began:.1f} 秒；到期定时器 {fired['fired']} 个已触发 "
             "(demo loaded)"]
    return lines + supervised + summary(engine)


# --------------------------------------------------------------------------- organisation

def _build_org(engine) -> dict[str, int]:
    with engine.uow(write=False) as uow:
        has_admin = uow.session.scalar(select(User.id).where(User.name == ADMIN)) is not None
    if not has_admin:
        engine.add_user(ADMIN, admin=True, display_name="系统管理员")
    units = {}
    for code, name, level, parent, _division in data.UNITS:
        units[code] = engine.add_unit(code, name, level, parent, actor=ADMIN)
        for section, (province_name, local_name) in data.SECTIONS.items():
            engine.add_section(code, section, province_name if level == "province" else local_name, actor=ADMIN)
    logins, appointments = [ADMIN], []
    for login, display, unit, sections, roles, leads, phone in data.people():
        separate = [r for r in roles if r in SEPARATE_ROLES]  # not the system admin's to grant
        appointments += [(login, role) for role in separate]
        business = tuple(r for r in roles if r not in SEPARATE_ROLES)
        engine.save_person(Person(login, display, unit, sections, business, leads, phone), actor=ADMIN)
        logins.append(login)
    engine.set_initial_passwords(logins, DEMO_PASSWORD, actor=ADMIN)
    _appoint(engine, appointments)
    return units


def _appoint(engine, appointments: list[tuple[str, str]]) -> None:
    """三员分立 as a bureau sets it up: the system admin appoints the first security admin,
    who then grants the audit admin role."""
    security = next(login for login, role in appointments if role == "security_admin")
    engine.appoint_first_admin(security, "security_admin", actor=ADMIN)
    for login, role in appointments:
        if role != "security_admin":
            engine.set_roles(login, [role], actor=security)


def _pair_enterprises(engine) -> dict[tuple[str, int], dict]:
    names = {p[0]: p[1] for p in data.people()}
    phones = {p[0]: p[6] for p in data.people()}
    year = clock.to_local(clock.now()).year
    enterprises = {}
    for county, rows in data.ENTERPRISES.items():
        for i, (code, (name, scale, kind, priority, status)) in enumerate(zip(data.credit_codes(county), rows)):
            liaison = f"{county}_liaison" if i % 2 == 0 else f"{county}_liaison2"
            leader = f"{county}_leader" if i < 3 else f"{county}_leader2"
            pairing = Pairing(name, code, scale, kind, county, liaison, leader, phones[liaison], priority, year,
                              status)
            enterprise_id, _ = engine.pair_enterprise(pairing, actor=ADMIN)
            enterprises[(county, i)] = {"id": enterprise_id, "name": name, "code": code, "liaison": liaison,
                                        "members": [names[liaison], names[leader]]}
    for city, county, i in data.ALSO_PAIRED_BY:
        e = enterprises[(county, i)]
        name, scale, kind, priority, _status = data.ENTERPRISES[county][i]
        engine.pair_enterprise(Pairing(name, e["code"], scale, kind, city, f"{city}_liaison", f"{city}_leader",
                                       phones[f"{city}_liaison"], priority, year, "added"), actor=ADMIN)
    return enterprises


# --------------------------------------------------------------------------- the stories

class Province:
    """Acts out the stories: each step as the user who does it, on the clock of its day."""

    def __init__(self, engine, units: dict[str, int], enterprises: dict):
        self.engine, self.units, self.enterprises = engine, units, enterprises
        self.names = {p[0]: p[1] for p in data.people()}
        self.real_now = clock.now()
        self.today = clock.to_local(self.real_now).date()
        self.complaints = 0

    def act(self, stories) -> None:
        for process, county, index, steps in stories:
            story = {"process": process, "county": county, "instance": None,
                     "enterprise": self.enterprises.get((county, index))}
            for step, (days, verb, user, *args) in enumerate(steps):
                with clock.frozen_at(self._moment(days, step)):
                    getattr(self, f"_{verb}")(story, user, *args)

    def _moment(self, days: int, step: int) -> datetime:
        local = datetime.combine(self.today - timedelta(days=days), time(9), tzinfo=clock.SHANGHAI)
        return min(local + timedelta(minutes=40 * step), self.real_now - timedelta(minutes=5 * (30 - step)))

    @staticmethod
    def _day() -> str:
        return clock.to_local(clock.now()).date().isoformat()

    def _task(self, story: dict, user: str, element: str) -> dict:
        for task in self.engine.tasks(user):
            if task["instance_id"] == story["instance"] and task["element_id"] == element:
                return task
        raise LookupError(f"演示数据：{user} 在实例 {story['instance']} 中没有任务 {element}")

    def _work(self, story: dict, user: str, element: str, form: dict) -> None:
        """Claim the task if it waits in a section's queue, then complete it (首问负责)."""
        task = self._task(story, user, element)
        if task["assignee"] is None:
            self.engine.claim(task["id"], user)
        self.engine.complete(task["id"], user, form)

    def _start(self, story: dict, user: str | None, *args) -> None:
        enterprise, process = story["enterprise"], story["process"]
        if process == "service":
            user, key, start = enterprise["liaison"], "enterprise_service", {"enterprise_id": enterprise["id"]}
        elif process == "matter":
            finding, source = args
            fields = dict(zip(("category", "description", "severity", "suggestion"), data.FINDINGS[finding]))
            key, start = "ledger_matter", {"enterprise_id": enterprise["id"], "source": source, **fields}
        else:
            key, start = "complaint_12369", {"unit_id": self.units[story["county"]]}
        story["instance"] = self.engine.start(key, user, start)["id"]

    # 五个一 and 一事一单
    def _visit(self, story, user, mode):
        enterprise = story["enterprise"]
        self._work(story, enterprise["liaison"], "record_visit",
                   data.visit(self._day(), mode, enterprise["members"], enterprise["name"]))

    def _check(self, story, user, findings):
        expert = f"{story['county']}_expert"
        self._work(story, expert, "health_check",
                   data.health_check(self._day(), [self.names[expert], "省环科院 蒋高工"], findings))

    def _rectify(self, story, user):
        self._work(story, user, "rectify", data.rectified(self._day(), self.names[user]))

    def _claim(self, story, user, element):
        self.engine.claim(self._task(story, user, element)["id"], user)

    def _verify(self, story, user, verdict):
        self._work(story, user, "verify", data.VERDICTS[verdict])

    def _hand_over(self, story, user, department, due_in_days, mode):
        due = (self.today + timedelta(days=due_in_days)).isoformat()
        self._work(story, user, "hand_over", data.handover(self._day(), department, due, mode))

    def _fire(self, story, user):
        self.engine.fire_due_timers(owner="demo")

    def _urge(self, story, user):
        self._work(story, user, "urge_rectification", data.urged(self._day()))

    def _follow_up(self, story, user, rating):
        self._work(story, story["enterprise"]["liaison"], "follow_up", data.follow_up(self._day(), rating))

    # 12369
    def _intake(self, story, user, key):
        enterprise = story["enterprise"]
        concerned = (enterprise["id"], enterprise["name"]) if enterprise else None
        self.complaints += 1
        story["real_name"] = data.COMPLAINTS[key][0]
        self._work(story, user, "intake", data.intake(self._day(), key, self.complaints, concerned))

    def _remit(self, story, user, in_remit):
        self._work(story, user, "remit_check", data.remit(in_remit))

    def _forward(self, story, user):
        self._work(story, user, "forward", data.forward(self._day()))

    def _investigate(self, story, user):
        colleague = f"{story['county']}_enforce"
        people = [self.names[user], self.names[colleague]]
        self._work(story, user, "investigate", data.investigation(self._day(), people))

    def _reply(self, story, user):
        self._work(story, user, "reply", data.reply(self._day(), story["real_name"]))

    def _callback(self, story, user):
        self._work(story, user, "callback", data.callback(self._day()))

    def _transfer(self, story, user, element, section):
        self.engine.transfer(self._task(story, user, element)["id"], user, to_section=section,
                             reason="夜间异味疑似偷排，需执法大队夜间突击检查取证")


# --------------------------------------------------------------------------- what was built

ROLE_NAMES = [("admin", "系统管理员"), ("security_admin", "安全管理员"), ("audit_admin", "审计管理员"),
              ("designer", "设计员"), ("supervisor", "督查"), ("leader", "局领导"),
              ("section_head", "科长"), ("liaison", "联络员"), ("expert", "专家"), ("staff", "科员")]
PROCESS_NAMES = {"enterprise_service": ("结对服务", "回访等待期"), "ledger_matter": ("台账事项", "等待中"),
                 "complaint_12369": ("12369 投诉", "等待中")}
STEPS = ["record_visit", "health_check", "intake", "remit_check", "forward", "rectify", "investigate", "verify",
         "hand_over", "await_answer", "reply", "callback", "follow_up", "urge_rectification", "urge_answer",
         "sign_urge_rectification", "sign_urge_answer", "urge_complaint"]
MATTER_STATUS = {"rectifying": "整改中", "verifying": "待科长审核", "handing_over": "待交办",
                 "awaiting_answer": "待部门答复", "closed": "已销号", "explained": "已解释说明"}


def summary(engine) -> list[str]:
    with engine.uow(write=False) as uow:
        session = uow.session
        return _unit_table(session) + _stage_lines(session) + _login_lines(session)


def _pad(text, width: int, right: bool = False) -> str:
    """Pad to a display width (a Chinese character takes two columns)."""
    text = str(text)
    fill = " " * max(width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text), 0)
    return fill + text if right else text + fill


def _count_by(session, column, *where) -> Counter:
    return Counter(dict(session.execute(select(column, func.count()).where(*where).group_by(column)).all()))


def _unit_table(session) -> list[str]:
    counts = [_count_by(session, Section.unit_id), _count_by(session, User.unit_id),
              _count_by(session, Enterprise.unit_id), _count_by(session, Instance.unit_id),
              _count_by(session, HumanTask.unit_id, HumanTask.status == "open")]
    header = ["科室", "人员", "结对企业", "实例", "待办"]
    lines = ["", _pad("单位", 22) + _pad("编码", 6) + "".join(_pad(h, 10, True) for h in header)]
    indent = {"province": 0, "city": 2, "county": 4}
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        lines.append(_pad(" " * indent[unit.level] + unit.name, 22) + _pad(unit.code, 6)
                     + "".join(_pad(c[unit.id], 10, True) for c in counts))
    distinct = session.scalar(select(func.count(func.distinct(Enterprise.credit_code))))
    lines.append(f"结对企业 {distinct} 家，结对 {sum(counts[2].values())} 条；"
                 f"被两个单位结对（扎堆服务）{len(directory.duplicate_pairings(session))} 家")
    return lines


def _stage_lines(session) -> list[str]:
    rows = session.execute(select(HumanTask.process_key, HumanTask.element_id, HumanTask.name,
                                  func.count(func.distinct(HumanTask.instance_id)))
                           .where(HumanTask.status == "open")
                           .group_by(HumanTask.process_key, HumanTask.element_id, HumanTask.name))
    order = {step: i for i, step in enumerate(STEPS)}
    stages = defaultdict(list)
    for key, _element, name, count in sorted(rows, key=lambda r: order.get(r[1], len(order))):
        stages[key].append(f"{name} {count}")
    busy = select(HumanTask.instance_id).where(HumanTask.status == "open")
    waiting = _count_by(session, Instance.process_key, Instance.status == "running", Instance.id.not_in(busy))
    done = _count_by(session, Instance.process_key, Instance.status == "completed")
    lines = ["", "流程阶段（在办环节 → 实例数；一个实例可同时在多个环节）："]
    for key, (label, wait_label) in PROCESS_NAMES.items():
        parts = stages[key] + ([f"{wait_label} {waiting[key]}"] if waiting[key] else []) + [f"已办结 {done[key]}"]
        lines.append(f"  {label} {key}：" + " · ".join(parts))
    matters = _count_by(session, LedgerMatter.status)
    lines.append("  台账事项单（含体检发现的问题）：" + " · ".join(
        f"{label} {matters[status]}" for status, label in MATTER_STATUS.items() if matters[status]))
    return lines


def _login_lines(session) -> list[str]:
    roles = defaultdict(set)
    for name, role in session.execute(select(User.name, UserRole.role).join(UserRole, UserRole.user_id == User.id)):
        roles[name].add(role)
    by_unit: dict[tuple, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    query = select(User.name, Unit.code, Unit.level).join(Unit, Unit.id == User.unit_id).order_by(User.id)
    for name, unit, level in session.execute(query):
        label = next((label for role, label in ROLE_NAMES if role in roles[name]), "科员")
        shown = "<县>" + name[len(unit):] if level == "county" and name.startswith(unit + "_") else name
        by_unit[(unit, level)][label].append(shown)
    lines = ["", f"登录名（命令行用 --as 登录名；网页登录密码均为 {DEMO_PASSWORD}）："]
    counties = [unit for unit, level in by_unit if level == "county"]
    for (unit, level), groups in by_unit.items():
        if level != "county":
            lines.append("  " + _pad(unit, 5) + " · ".join(f"{label} {' '.join(groups[label])}"
                                                        for _r, label in ROLE_NAMES if groups.get(label)))
    if counties:
        groups = by_unit[(counties[0], "county")]
        lines.append(f"  {' '.join(counties)}（每个县局相同，<县> 换成县局编码，如 {counties[0]}_water）：")
        lines += ["      " + _pad(label, 8) + " ".join(groups[label])
                  for _r, label in ROLE_NAMES if groups.get(label)]
    return lines
