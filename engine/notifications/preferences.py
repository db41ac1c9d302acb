"""Each person's email settings: an address and how mail comes (不发送 / 即时 / 每日汇总)."""
from __future__ import annotations

import re

from engine.errors import InvalidInput

MODES = ("off", "immediate", "digest")
ADDRESS_MOST = 255
# An ASCII address (a Chinese mailbox name needs SMTPUTF8, which bureau servers rarely offer):
# the local part's allowed characters, @, a domain with at least one dot. Whether the mailbox
# exists only the server can say.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def clean_settings(email: str | None, mode: str | None) -> tuple[str, str]:
    """(address, mode) checked; the errors name the field (params.field)."""
    address = (email or "").strip()
    mode = (mode or "off").strip()
    if mode not in MODES:
        raise InvalidInput("邮件提醒方式须为 不发送、即时 或 每日汇总 (mode must be off, immediate or digest)",
                           code="email_mode", params={"field": "mode"})
    if len(address) > ADDRESS_MOST or (address and not _ADDRESS.match(address)):
        raise InvalidInput("电子邮箱格式不正确，例如 zhang.san@example.gov.cn (the email address is not valid)",
                           code="email_invalid", params={"field": "email"})
    if mode != "off" and not address:
        raise InvalidInput("选择即时或每日汇总时须填写电子邮箱 (an email address is needed to receive mail)",
                           code="email_required", params={"field": "email"})
    return address, mode
