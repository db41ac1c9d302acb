"""Domain errors are structured: a stable code, the Chinese and the English text and the
parameters they were made from, so that no caller takes a message apart."""
from engine.errors import (
    Conflict,
    DefinitionError,
    FormValidationError,
    Gone,
    InvalidInput,
    NotAllowed,
    NotFound,
    ScriptError,
    bilingual,
)


def test_each_kind_of_error_has_its_code():
    kinds = {InvalidInput: "invalid_input", DefinitionError: "definition_error", ScriptError: "script_error",
             FormValidationError: "form_invalid", NotFound: "not_found", Gone: "gone",
             NotAllowed: "not_allowed", Conflict: "conflict"}
    assert {cls: cls("x").code for cls in kinds} == kinds


def test_a_precise_code_and_params_may_be_given_where_it_is_raised():
    err = NotAllowed("只有管理员可以执行此操作 (admins only)", code="admins_only", params={"user": "xh_water"})
    assert (err.code, err.params, err.zh, err.en) == ("admins_only", {"user": "xh_water"},
                                                      "只有管理员可以执行此操作", "admins only")
    assert err.text("en_US") == "admins only" and err.text("zh_CN") == "只有管理员可以执行此操作"
    assert str(err) == "只有管理员可以执行此操作 (admins only)"  # the CLI's one line


def test_a_message_without_english_reads_the_same_in_both():
    assert bilingual("请填写理由") == ("请填写理由", "请填写理由")
    assert NotFound("任务 abc 不存在").text("en") == "任务 abc 不存在"


def test_a_definition_error_keeps_its_location_in_both_languages():
    err = DefinitionError("定时器没有设置时间 (timer has no value)", file="a.bpmn", line=3, element_id="t1")
    assert err.zh == "a.bpmn:3, element 't1': 定时器没有设置时间"
    assert err.en == "a.bpmn:3, element 't1': timer has no value"
    assert err.params == {"file": "a.bpmn", "element_id": "t1", "element_name": None, "line": 3}


def test_form_errors_name_each_field_in_the_reader_s_language():
    err = FormValidationError("整改期限：必填 (deadline: required)", {"deadline": "整改期限：必填 (required)"})
    assert err.field_texts("zh") == {"deadline": "整改期限：必填"}
    assert err.field_texts("en") == {"deadline": "required"} and err.params == {"fields": ["deadline"]}
