"""The scenario file a process designer writes beside a model: what to deploy, a small
organisation, who starts the process with what, then the story step by step with what is
expected after each (README, "Scenario tests for process designers").

The YAML is checked against SCHEMA (JSON Schema) before anything runs; a bad file is refused
with the step's number and the field named in Chinese, so a designer can find it.
"""
from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import yaml

from engine import clock
from engine.errors import InvalidInput

# What each step does: exactly one of these keys per step.
ACTIONS = ("complete", "claim", "transfer", "return", "clock", "message", "expect")
DEMO_ORG = "demo-minimal"

_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_DATA = {"type": "object"}
_TASK_ACT = {"type": "object", "required": ["task", "as"], "additionalProperties": False,
             "properties": {"task": _NAME, "as": _NAME, "nth": {"type": "integer", "minimum": 1}}}


def _task_act(**extra) -> dict:
    return {**_TASK_ACT, "properties": {**_TASK_ACT["properties"], **extra}}


_EXPECTED_TASK = {"type": "object", "required": ["task"], "additionalProperties": False, "properties": {
    "task": _NAME, "name": _NAME, "lane": _NAME, "assignee": {"type": ["string", "null"]},
    "candidate_groups": {"type": "array", "items": {"type": "string"}},
    "candidate_users": {"type": "array", "items": {"type": "string"}}}}
_EXPECT = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
    "tasks": {"type": "array", "items": _EXPECTED_TASK},
    "status": {"enum": ["running", "completed", "cancelled", "error"]},
    "data": _DATA}}
_UNIT = {"type": "object", "required": ["code", "name", "level"], "additionalProperties": False,
         "properties": {"code": _NAME, "name": _NAME, "level": {"enum": ["province", "city", "county"]},
                        "parent": _NAME}}
_PERSON = {"type": "object", "required": ["name", "unit"], "additionalProperties": False, "properties": {
    "name": _NAME, "display_name": _NAME, "unit": _NAME,
    "sections": {"type": "array", "items": _NAME}, "roles": {"type": "array", "items": _NAME},
    "leads": {"type": "array", "items": _NAME}}}
_ENTERPRISE = {"type": "object", "required": ["name", "unit"], "additionalProperties": False, "properties": {
    "name": _NAME, "unit": _NAME, "credit_code": _NAME, "scale": _NAME, "type": _NAME,
    "liaison": _NAME, "contact_leader": _NAME, "year": {"type": "integer"}}}
_ORG = {"type": "object", "required": ["units", "people"], "additionalProperties": False, "properties": {
    "units": {"type": "array", "minItems": 1, "items": _UNIT},
    "sections": {"type": "object", "additionalProperties": _NAME},
    "people": {"type": "array", "items": _PERSON},
    "enterprises": {"type": "array", "items": _ENTERPRISE}}}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "sanfu process scenario",
    "type": "object",
    "required": ["process", "org", "start", "steps"],
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "process": {"type": "array", "minItems": 1, "items": _NAME},
        "forms": _NAME,
        "org": {"oneOf": [{"const": DEMO_ORG}, _ORG]},
        "at": {"type": "string"},
        "start": {"type": "object", "required": ["process", "as"], "additionalProperties": False,
                  "properties": {"process": _NAME, "as": _NAME, "data": _DATA, "enterprise": _NAME,
                                 "unit": _NAME}},
        "steps": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
            "type": "object", "additionalProperties": False, "properties": {
                "note": {"type": "string"},
                "complete": _task_act(data=_DATA),
                "claim": _TASK_ACT,
                "transfer": _task_act(reason=_NAME, to_user=_NAME, to_section=_NAME, to_unit=_NAME),
                "return": _task_act(reason=_NAME),
                "clock": {"type": "string", "minLength": 1},
                "message": {"type": "object", "required": ["name"], "additionalProperties": False,
                            "properties": {"name": _NAME, "data": _DATA, "as": _NAME}},
                "expect": _EXPECT,
                "expect_error": _NAME,
            }}},
    },
}

# The Chinese a designer reads for each field of the file.
FIELD_NAMES = {
    "process": "模型文件", "forms": "表单目录", "org": "组织", "at": "起始时间", "start": "发起",
    "steps": "步骤", "name": "名称", "as": "办理人", "task": "任务", "data": "数据", "nth": "第几个",
    "reason": "理由", "to_user": "转办人员", "to_section": "转办科室", "to_unit": "转办单位",
    "expect": "预期", "expect_error": "预期错误", "tasks": "待办任务", "status": "状态", "lane": "泳道",
    "assignee": "办理人", "candidate_groups": "候选组", "candidate_users": "候选人", "units": "单位",
    "people": "人员", "sections": "科室", "enterprises": "企业", "roles": "角色", "unit": "单位",
    "code": "代码", "level": "级别", "parent": "上级", "message": "消息", "clock": "时钟", "note": "说明",
    "complete": "办理", "claim": "认领", "transfer": "转办", "return": "退回", "enterprise": "企业",
}


@dataclass
class Scenario:
    """A checked scenario file; paths resolved against its folder."""
    path: Path
    name: str
    processes: list[Path]
    forms: Path | None
    org: str | dict
    at: datetime | None
    start: dict
    steps: list[dict] = field(default_factory=list)


def load_scenario(path: Path, *, forms_default: Path | None = None) -> Scenario:
    """Read and check a scenario file; InvalidInput names what is wrong and where."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"无法读取场景文件 {path.name}：{err} (cannot read the scenario file)",
                           code="scenario_unreadable") from None
    return parse_scenario(text, path, forms_default=forms_default)


def parse_scenario(text: str, path: Path, *, forms_default: Path | None = None) -> Scenario:
    raw = _yaml(text, path.name)
    check(raw, path.name)
    folder = path.parent
    forms = raw.get("forms")
    at = _moment(raw["at"], f"场景文件 {path.name} 起始时间（at）") if raw.get("at") else None
    return Scenario(path=path, name=raw.get("name") or path.stem,
                    processes=[(folder / p).resolve() for p in raw["process"]],
                    forms=(folder / forms).resolve() if forms else forms_default,
                    org=raw["org"], at=at,
                    start=raw["start"], steps=raw["steps"])


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML (plain data, never objects) that leaves dates as the text typed: form data
    such as `visit_date: 2026-03-02` reaches the engine as the forms expect it, a string."""


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _yaml(text: str, file_name: str):
    try:
        # Aliases (*name) are refused: a few lines of them can stand for billions of nodes.
        if any(isinstance(token, yaml.AliasToken) for token in yaml.scan(text, Loader=_PlainLoader)):
            raise InvalidInput(f"场景文件 {file_name} 不能使用 YAML 别名（*名称），请直接写出内容 "
                               "(YAML aliases are not allowed)", code="scenario_yaml", params={"file": file_name})
        return yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise InvalidInput(f"场景文件 {file_name} {where}不是有效的 YAML (not valid YAML)",
                           code="scenario_yaml", params={"file": file_name}) from None


def check(raw, file_name: str) -> None:
    """Refuse a file that does not follow SCHEMA, or a step with no action or two."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if errors:
        raise _refusal(file_name, errors[0])
    for index, step in enumerate(raw["steps"]):
        actions = [key for key in step if key in ACTIONS]
        if len(actions) != 1:
            raise InvalidInput(f"场景文件 {file_name} 第 {index + 1} 步：每一步须恰好有一个动作"
                               f"（{'、'.join(ACTIONS)}），这里有 {len(actions)} 个 (one action per step)",
                               code="scenario_step", params={"file": file_name, "step": index + 1})
        if "expect_error" in step and actions[0] in ("clock", "expect"):
            raise InvalidInput(f"场景文件 {file_name} 第 {index + 1} 步：{actions[0]} 不会出错，"
                               "预期错误（expect_error）只能用于办理、认领、转办、退回和消息 "
                               "(expect_error needs a command)", code="scenario_step",
                               params={"file": file_name, "step": index + 1})
        if actions[0] == "clock":
            jump(step["clock"], clock.now(), f"场景文件 {file_name} 第 {index + 1} 步 时钟（clock）")


def _refusal(file_name: str, error) -> InvalidInput:
    where = list(error.absolute_path)
    step = where[1] + 1 if len(where) > 1 and where[0] == "steps" and isinstance(where[1], int) else None
    names = [FIELD_NAMES.get(p, p) + f"（{p}）" for p in where if isinstance(p, str)]
    place = (f"第 {step} 步" if step else "") + ("：" + "→".join(names) if names else "")
    return InvalidInput(f"场景文件 {file_name} {place}：{_problem(error)} (invalid scenario file)",
                        code="scenario_invalid",
                        params={"file": file_name, "step": step, "field": ".".join(map(str, where))})


def _problem(error) -> str:
    kind = error.validator
    if kind == "required":
        missing = next(n for n in error.validator_value if n not in error.instance)
        return f"缺少必填字段 {FIELD_NAMES.get(missing, missing)}（{missing}）"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"不认识的字段 {'、'.join(extra)}"
    if kind == "type":
        wanted = {"string": "文本", "object": "映射", "array": "列表", "integer": "整数", "null": "空"}
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return "应为" + "或".join(wanted.get(t, t) for t in types)
    if kind in ("enum", "const"):
        allowed = error.validator_value if kind == "enum" else [error.validator_value]
        return "应为其中之一：" + "、".join(map(str, allowed))
    if kind == "oneOf":
        return f"应为 {DEMO_ORG}，或含单位（units）与人员（people）的组织"
    if kind in ("minItems", "minLength", "minProperties"):
        return "不能为空"
    return f"不符合要求（{kind}）"


_DURATION = re.compile(r"^\+?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def jump(text: str, now: datetime, where: str) -> datetime:
    """A clock step: `+P3D`, `+P1M`, `+PT2H` (an ISO 8601 duration of calendar time from now:
    the engine counts its working days itself) or an ISO moment (Asia/Shanghai if it has no
    offset)."""
    text = str(text).strip()
    if not text.startswith(("+", "P")):
        return _moment(text, where)
    match = _DURATION.match(text)
    if not match or text.rstrip("T") in ("+P", "P"):
        raise InvalidInput(f"{where}：{text!r} 应为 +P3D、+P1M、+PT2H 这样的时长，或 ISO 时间 "
                           "(clock: an ISO 8601 duration or moment)", code="scenario_clock")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    local = clock.to_local(now)
    month_index = local.month - 1 + months + 12 * years
    year, month = local.year + month_index // 12, month_index % 12 + 1
    local = local.replace(year=year, month=month, day=min(local.day, monthrange(year, month)[1]))
    return local.astimezone(now.tzinfo) + timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes,
                                                    seconds=seconds)


def _moment(text: str, where: str) -> datetime:
    try:
        return clock.parse_moment(str(text))
    except ValueError:
        raise InvalidInput(f"{where}：时间 {text!r} 应为 ISO 格式，如 2026-03-02T09:00:00 "
                           "(an ISO date-time)", code="scenario_clock") from None
