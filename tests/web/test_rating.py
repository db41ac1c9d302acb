"""The enterprise's rating page, without an account: shown by a live link, taken once (then
410 Gone in Chinese), 404 for an unknown link; the follow-up's holder issues the link and
sees its QR code; the ratings reach the task page and the enterprise page."""
from __future__ import annotations

import re
from datetime import timedelta

from engine import clock
from tests.helpers.rating import GOOD, reach_follow_up
from tests.helpers.web import csrf_token, text_of

LINK = re.compile(r'value="(http://localhost/r/([A-Za-z0-9_-]{43}))"')
FORM = {f"stage.{k}": str(v) for k, v in GOOD.items()}


def issue_on_the_task_page(client, auth, post, task_id: str) -> tuple[str, str]:
    """The liaison issues the link on the task page: (its URL, the page after)."""
    auth.login("xh_liaison")
    before = text_of(client.get(f"/tasks/{task_id}"))
    assert "生成评价链接" in before and 'id="rating"' in before
    response = post(f"/tasks/{task_id}/rating-link")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task_id}#rating")
    page = text_of(client.get(f"/tasks/{task_id}"))
    match = LINK.search(page)
    assert match, "no rating URL on the task page"
    return match.group(1), page


def test_the_holder_issues_a_link_with_its_qr_code(client, auth, post, sanfu, ids):
    task = reach_follow_up(sanfu, ids)
    url, page = issue_on_the_task_page(client, auth, post, task["id"])
    qr = re.search(r'<img class="qr" src="(data:image/svg\+xml[^"]+)"', page)
    assert qr and "%3Csvg" in qr.group(1)                      # an inline SVG, no request to fetch
    assert "有效期至" in page and "重新生成评价链接" in page
    token = url.rsplit("/", 1)[1]
    assert sanfu.rating_form(token)["enterprise"] == "西湖印染有限公司"


def test_only_the_holder_may_issue(client, auth, post, sanfu, ids):
    task = reach_follow_up(sanfu, ids)
    auth.login("xh_water1")
    assert post(f"/tasks/{task['id']}/rating-link").status_code == 403
    auth.logout()
    assert client.post(f"/tasks/{task['id']}/rating-link").status_code in (302, 400)   # no session, no CSRF
    assert sanfu.rating_link_state(task["id"], "xh_liaison")["link"] is None


def test_other_steps_have_no_rating_panel(client, auth, sanfu, service):
    task = sanfu.tasks("xh_liaison")[0]
    auth.login("xh_liaison")
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert body.count('id="rating"') == 0 and "生成评价链接" not in body


def test_the_public_page_works_once_without_an_account(app, sanfu, ids):
    task = reach_follow_up(sanfu, ids)
    token = sanfu.issue_rating_link(task["id"], "xh_liaison")["token"]
    phone = app.test_client()                                   # nobody signed in
    page = phone.get(f"/r/{token}")
    body = text_of(page)
    assert page.status_code == 200 and "西湖印染有限公司" in body and "西湖区分局" in body
    assert "西湖 联络员" in body and "我的待办" not in body and "退出" not in body   # no staff layout
    assert body.count('type="radio"') == 20 and body.count('<fieldset class="stage') == 4
    assert "走访服务满意度" in body and "总体满意度" in body and 'name="comment"' in body
    assert 'name="viewport"' in body and "satisfaction" not in body and "instance" not in body
    response = phone.post(f"/r/{token}", data={**FORM, "comment": "联络员很负责",
                                               "csrf_token": csrf_token(phone, f"/r/{token}")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/r/thanks")
    thanks = text_of(phone.get("/r/thanks"))
    assert "感谢您的评价" in thanks and "西湖印染有限公司" in thanks
    again = phone.get(f"/r/{token}")
    assert again.status_code == 410 and "评价已提交" in text_of(again) and "已使用" in text_of(again)
    assert "Traceback" not in text_of(again)
    resubmit = phone.post(f"/r/{token}", data={**FORM, "csrf_token": csrf_token(phone, "/login")})
    assert resubmit.status_code == 410
    assert sanfu.ratings_of_enterprise(ids["enterprise_id"], "xh_liaison")[0]["comment"] == "联络员很负责"


def test_a_missing_score_comes_back_in_chinese_and_saves_nothing(app, sanfu, ids):
    task = reach_follow_up(sanfu, ids)
    token = sanfu.issue_rating_link(task["id"], "xh_liaison")["token"]
    phone = app.test_client()
    form = {k: v for k, v in FORM.items() if k != "stage.rectification"}
    response = phone.post(f"/r/{token}", data={**form, "stage.overall": "9", "comment": "留着",
                                               "csrf_token": csrf_token(phone, f"/r/{token}")})
    body = text_of(response)
    assert response.status_code == 422 and "整改帮扶满意度" in body and "总体满意度" in body
    assert body.count('class="field-error"') == 2 and "留着" in body
    assert "every stage" not in body and "(score" not in body                # Chinese only
    assert re.search(r'name="stage.visit" value="5" checked', body)          # the choices are kept
    assert phone.get(f"/r/{token}").status_code == 200                      # still usable
    assert sanfu.rating_link_state(task["id"], "xh_liaison")["link"]["status"] == "active"


def test_unknown_and_expired_links(app, sanfu, ids):
    task = reach_follow_up(sanfu, ids)
    token = sanfu.issue_rating_link(task["id"], "xh_liaison", ttl=timedelta(hours=1))["token"]
    phone = app.test_client()
    for unknown in ("x" * 43, "short", token[:-2] + "zz" if not token.endswith("zz") else token[:-2] + "yy"):
        response = phone.get(f"/r/{unknown}")
        body = text_of(response)
        assert response.status_code == 404 and "链接无效" in body and "西湖" not in body
    with clock.frozen_at(clock.now() + timedelta(hours=2)):
        expired = phone.get(f"/r/{token}")
    assert expired.status_code == 410 and "已过期" in text_of(expired) and "西湖" not in text_of(expired)


def test_the_ratings_reach_the_task_page_and_the_enterprise_page(client, auth, post, sanfu, ids):
    task = reach_follow_up(sanfu, ids)
    url, _ = issue_on_the_task_page(client, auth, post, task["id"])
    sanfu.submit_rating(url.rsplit("/", 1)[1], GOOD, "整改指导很专业")
    page = text_of(client.get(f"/tasks/{task['id']}"))
    assert 'data-status="used"' in page and "整改指导很专业" in page and '<img class="qr"' not in page
    assert re.search(r'data-stage="health_check">体检 <b>4</b> 分', page)
    assert "生成评价链接" not in page                                       # rated: no new link
    enterprise = text_of(client.get(f"/enterprises/{ids['enterprise_id']}"))
    section = enterprise[enterprise.index("回访评价"):]
    assert "企业自评" in section and "整改指导很专业" in section and "整改 3 分" in section
