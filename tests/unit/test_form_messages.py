"""A form may give its own message for a rule (`x-error`), where the generic one misleads:
an anonymous 12369 complaint that carries a phone number is told that anonymous complaints
record no phone, not "最多 0 个字符"."""
import json

import pytest

from engine.definitions.forms import validate_submission
from engine.errors import FormValidationError
from tests.helpers.forms import INTAKE
from tests.helpers.paths import FORMS

INTAKE_FORM = json.loads((FORMS / "complaint_intake.json").read_text(encoding="utf-8"))


def test_an_anonymous_complaint_with_a_phone_number_is_told_why():
    anonymous = {**INTAKE, "real_name": False, "complainant_name": "", "complainant_phone": "13800000000"}
    with pytest.raises(FormValidationError) as refused:
        validate_submission(INTAKE_FORM, anonymous)
    message = refused.value.fields["complainant_phone"]
    assert "匿名投诉不登记投诉人电话" in message and "0 个字符" not in message
    assert list(refused.value.fields) == ["complainant_phone"]


def test_a_real_name_complaint_keeps_the_generic_messages():
    short = {**INTAKE, "complainant_phone": "123"}
    with pytest.raises(FormValidationError) as refused:
        validate_submission(INTAKE_FORM, short)
    assert "匿名" not in refused.value.fields["complainant_phone"]
