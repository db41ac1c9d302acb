"""Property tests (hypothesis) on form submissions: whatever a client sends as a form's data —
any JSON, text with NUL bytes, huge numbers, deep nesting — validation answers with per-field
messages or accepts it, never another exception; and a completion through the engine either
completes the step or is refused with nothing written (every table's row count unchanged)."""
from __future__ import annotations

import json

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from engine.definitions.forms import validate_submission
from engine.errors import FormValidationError, SanfuError
from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing
from engine.store.tables import Base
from tests.helpers.forms import VISIT
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
                    st.sampled_from(["2026-03-02", "\x00", "走访", "a" * 3000, "2026-02-30", ""]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                    max_leaves=12)
SHIPPED = sorted(FORMS.glob("*.json"))
PROPERTY = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _with_changes(base: dict):
    """A valid submission with some fields replaced, removed or added by arbitrary JSON."""
    keys = st.sampled_from(sorted(base) + ["extra", "\x00"])
    return st.tuples(st.dictionaries(keys, JSON, max_size=3), st.lists(keys, max_size=2)).map(
        lambda pair: {k: v for k, v in {**base, **pair[0]}.items() if k not in pair[1]})


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_validation_of_any_data_answers_per_field_or_accepts(path):
    schema = json.loads(path.read_text(encoding="utf-8"))

    @PROPERTY
    @given(data=st.dictionaries(st.sampled_from(sorted(schema.get("properties", {})) + ["x"]), JSON, max_size=6))
    def check(data):
        try:
            assert validate_submission(schema, data) == data
        except FormValidationError as refused:
            assert refused.fields and all(isinstance(text, str) and text for text in refused.fields.values())

    check()


def _row_counts(engine) -> dict[str, int]:
    with engine.db.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables}


@pytest.fixture
def visit_step(engine):
    """A function giving an open 走访 step of xh_liaison's: the last one while it stays open, else a new
    enterprise's (one running 结对服务 per enterprise and year)."""
    build_province(engine)
    engine.deploy([PROCESSES / name for name in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")], "root")
    codes, names, open_step = iter(demo_credit_codes(300, seed=11)), iter(range(300)), {}

    def step() -> dict:
        if open_step and engine.task_view(open_step["id"], "xh_liaison")["task"]["status"] == "open":
            return open_step
        enterprise_id, _ = engine.pair_enterprise(Pairing(f"性质测试企业{next(names)}", next(codes), "小",
                                                          "传统产业", "xh", liaison="xh_liaison", year=2026),
                                                  actor="root")
        instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise_id})["id"]
        open_step.update(next(t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance))
        return open_step

    return engine, step


def test_a_completion_with_any_data_completes_or_writes_nothing(visit_step):
    engine, step = visit_step

    @PROPERTY
    @given(data=_with_changes(VISIT))
    def check(data):
        task = step()
        before = _row_counts(engine)
        try:
            engine.complete(task["id"], "xh_liaison", data)
        except SanfuError as refused:
            assert refused.code, refused
            assert _row_counts(engine) == before
            assert engine.task_view(task["id"], "xh_liaison")["task"]["status"] == "open"
        else:
            assert engine.task_view(task["id"], "xh_liaison")["task"]["status"] == "completed"

    check()
