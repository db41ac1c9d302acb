"""JSON Schema forms → fields, submitted fields → data, for every form in forms/."""
from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from engine.definitions.forms import validate_submission
from engine.errors import FormValidationError
from tests.helpers.paths import FORMS
from web.formdata import parse_kv, parse_object
from web.schema_form import build_fields, unplaced, widget_for

ALL_FORMS = sorted(FORMS.glob("*.json"))


def load(name: str) -> dict:
    return json.loads((FORMS / f"{name}.json").read_text(encoding="utf-8"))


def by_name(fields) -> dict:
    out = {}
    for f in fields:
        out[f.name] = f
        out.update(by_name(f.children))
    return out


@pytest.mark.parametrize("path", ALL_FORMS, ids=lambda p: p.stem)
def test_every_repo_form_renders_on_the_task_page(app, path):
    from flask import render_template
    schema = json.loads(path.read_text(encoding="utf-8"))
    fields = build_fields(schema, {})
    assert [f.name for f in fields] == list(schema["properties"])
    task = {"id": "t1", "name": schema["title"], "process_key": "p", "instance_id": 1, "status": "open",
            "assignee": "xh_water1", "due_at": None}
    view = {"task": task, "form": schema, "data": {}, "can_claim": False, "can_complete": True,
            "can_release": False, "history": []}
    with app.test_request_context("/tasks/t1"):
        html = render_template("tasks/task.html", view=view, task=task, form=schema, fields=fields,
                               kv_rows=None, errors={}, top_errors=[], message=None)
    for f in fields:
        assert f.title in html and f'id="f-{f.name}"' in html


def test_widgets_follow_the_schema():
    assert widget_for({"type": "string", "format": "date"}) == "date"
    assert widget_for({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])-[0-9]{2}$"}) == "date"
    assert widget_for({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}) == "date"
    assert widget_for({"type": "string", "maxLength": 200}) == "text"
    assert widget_for({"type": "string", "maxLength": 201}) == "textarea"
    assert widget_for({"type": "string", "enum": ["a", "b", "c", "d"]}) == "radio"
    assert widget_for({"type": "string", "enum": list("abcde")}) == "select"
    assert widget_for({"type": "boolean"}) == "radio"
    assert widget_for({"type": ["integer", "null"]}) == "number"
    assert widget_for({"type": "array", "items": {"type": "string"}}) == "lines"
    assert widget_for({"type": "array", "items": {"type": "object"}}) == "rows"
    assert widget_for({"type": "object"}) == "group"


def test_a_nested_object_is_a_fieldset_and_its_errors_land_beside_its_fields():
    schema = load("service_followup")
    form = MultiDict({"followup_date": "2026-04-02", "mode": "电话", "satisfaction.visit": "5",
                      "satisfaction.health_check": "abc", "satisfaction.overall": "9", "comments": "好"})
    data = parse_object(schema, form)
    assert data["satisfaction"] == {"visit": 5, "health_check": "abc", "overall": 9}
    with pytest.raises(FormValidationError) as caught:
        validate_submission(schema, data)
    fields = by_name(build_fields(schema, data, caught.value.fields))
    assert fields["satisfaction"].widget == "group"
    assert fields["satisfaction.visit"].attrs == {"step": "1", "min": 1, "max": 5}
    assert fields["satisfaction.health_check"].error == "满意度 / 环保体检满意度：类型不正确，应为 整数"
    assert fields["satisfaction.health_check"].text == "abc"
    assert fields["satisfaction.overall"].error == "满意度 / 总体满意度：不能大于 5"
    assert fields["satisfaction.rectification"].error == "满意度 / 整改帮扶满意度：必填"
    assert unplaced(caught.value.fields, list(fields.values())) == []


def test_booleans_are_yes_no_choices():
    schema = load("close_out")
    fields = by_name(build_fields(schema, {"verified": False}))
    assert fields["verified"].options == [("true", "是"), ("false", "否")] and fields["verified"].text == "false"
    assert parse_object(schema, MultiDict({"verified": "true"})) == {"verified": True}
    assert parse_object(schema, MultiDict({"verified": "false", "opinion": " "})) == {"verified": False}
    assert parse_object(schema, MultiDict({})) == {}


def test_lists_rows_and_blanks():
    check = load("health_check")
    data = parse_object(check, MultiDict({"check_date": "2026-03-03", "summary": "无问题", "experts": " \n",
                                          "findings.0.description": " ", "findings.7.category": ""}))
    assert data == {"check_date": "2026-03-03", "summary": "无问题", "findings": []}  # may be empty
    validate_submission(check, data)
    visit = load("service_visit")
    assert "members" not in parse_object(visit, MultiDict({"members": "\n\n"}))           # minItems 1: 必填
    rows = parse_object(check, MultiDict({"findings.3.category": "水", "findings.12.category": "气"}))["findings"]
    assert rows == [{"category": "水"}, {"category": "气"}]                                # in row order


def test_rows_fields_add_a_blank_row_on_request():
    check = load("health_check")
    field = build_fields(check, {"findings": [{"category": "水"}]}, extra_rows={"findings": 1})[3]
    assert field.widget == "rows" and len(field.rows) == 2 and field.next_index == 2
    assert field.rows[0][0].text == "水" and field.rows[1][0].text == ""
    assert [f.name for f in field.template][:2] == ["findings.__i__.category", "findings.__i__.description"]


def test_the_key_value_editor():
    form = MultiDict({"_kv.0.key": "a", "_kv.0.value": "[1, 2]", "_kv.1.key": "", "_kv.1.value": "",
                      "_kv.2.key": "b", "_kv.2.value": "NaN", "_kv.3.key": "a", "_kv.3.value": "x",
                      "_kv.4.key": "_secret", "_kv.4.value": "1"})
    data, rows, errors = parse_kv(form)
    assert data == {"a": [1, 2], "b": "NaN"}
    assert [r["key"] for r in rows] == ["a", "b", "a", "_secret"]
    assert set(errors) == {"_kv.2.key", "_kv.3.key"} and "重复" in errors["_kv.2.key"]
