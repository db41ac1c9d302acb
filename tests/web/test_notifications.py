"""The notification centre in the web: the header counts what is unread, the page lists it
with a link to the task, and marking read empties the count."""
from tests.helpers.web import only_task, text_of


def test_a_transfer_shows_in_the_receivers_header_and_centre(client, auth, sanfu, post, service):
    task = only_task(sanfu, "xh_liaison")
    sanfu.transfer(task["id"], "xh_liaison", reason="请协助走访", to_user="xh_water1")
    auth.login("xh_water1")
    body = text_of(client.get("/"))
    assert '<span class="notif-count" aria-label="1 条未读">1</span>' in body
    page = text_of(client.get("/notifications/"))
    assert f'<a href="/tasks/{task["id"]}">转办给你：记录走访（请协助走访）</a>' in page
    assert "西湖 联络员" in page and "全部标为已读" in page
    response = post("/notifications/read", follow_redirects=True)
    assert "已将 1 条通知标为已读" in text_of(response) and "notif-count" not in text_of(response)
    auth.logout()
    auth.login("xh_liaison")
    assert "notif-count" not in text_of(client.get("/"))              # nothing for passing it on


def test_opening_the_task_reads_what_you_were_told_about_it(client, auth, sanfu, service):
    task = only_task(sanfu, "xh_liaison")
    sanfu.transfer(task["id"], "xh_liaison", reason="请协助走访", to_user="xh_water1")
    auth.login("xh_water1")
    assert sanfu.unread_notifications("xh_water1") == 1
    assert client.get(f"/tasks/{task['id']}").status_code == 200
    assert sanfu.unread_notifications("xh_water1") == 0
    assert "notif-count" not in text_of(client.get("/"))
