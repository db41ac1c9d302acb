"""Error pages: every status in Chinese, JSON under /api/, domain errors mapped like the CLI's
exit codes, never a traceback."""
from __future__ import annotations

import html

import pytest

from engine.errors import Conflict, DefinitionError, FormValidationError, InvalidInput, NotAllowed, NotFound
from tests.helpers.web import text_of

CASES = [
    (NotFound("任务 x 不存在 (no such task)"), 404, "页面不存在", "任务 x 不存在"),
    (NotAllowed("无权查看此任务 (not allowed to see this task)"), 403, "无权访问", "无权查看此任务"),
    (Conflict("任务已由 a 认领 (already claimed by a)"), 409, "操作冲突", "任务已由 a 认领"),
    (InvalidInput("请填写理由 (a reason is required)"), 422, "无法处理", "请填写理由"),
    (FormValidationError("走访日期：必填", {"visit_date": "走访日期：必填"}), 422, "无法处理", "走访日期：必填"),
    (DefinitionError("不支持 JavaScript", file="a.bpmn", element_id="s1"), 422, "无法处理", "不支持 JavaScript"),
]


@pytest.fixture
def raising(app):
    """Routes that raise a given domain error, as a page and under /api/."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    errors = {}

    def page(n: int):
        raise errors[n]
    app.add_url_rule("/raise/<int:n>", "raise_page", page)
    app.add_url_rule("/api/v1/raise/<int:n>", "raise_api", page)
    return errors


@pytest.mark.parametrize("error,status,title,message", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_domain_errors_become_chinese_pages_with_the_engine_message(client, raising, error, status, title,
                                                                    message):
    raising[1] = error
    response = client.get("/raise/1")
    body = text_of(response)
    assert response.status_code == status and title in body and message in body
    assert "(no such" not in body and "Traceback" not in body and '<html lang="zh-CN">' in body
    response = client.get("/api/v1/raise/1")
    assert response.status_code == status
    shown = html.unescape(body.split('<p class="message">')[1].split("</p>")[0])
    assert response.get_json()["error"] == {"status": status, "code": error.code, "title": title, "message": shown}


@pytest.mark.parametrize("path,method,status,title", [
    ("/nowhere", "get", 404, "页面不存在"),
    ("/login", "put", 405, "不支持的操作"),
    ("/lang", "post", 400, "请求无效"),   # no CSRF token
])
def test_http_errors_are_chinese_pages(client, path, method, status, title):
    response = getattr(client, method)(path)
    body = text_of(response)
    assert response.status_code == status and title in body and "Traceback" not in body
    assert "The requested URL" not in body and "Method Not Allowed" not in body


def test_api_paths_get_json_for_http_errors_too(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404 and response.is_json
    assert response.get_json()["error"]["message"].startswith("您要找的页面")
