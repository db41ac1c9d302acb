"""Who is asking, in one read: `Engine.account` (every signed-in page) and
`Engine.authenticate_token` (every API call) read one row — user, session epoch and roles in
one statement — and never write; a token's last-used time is written at most once per
LAST_USED_GRAIN, in its own short transaction. On SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.admin.accounts import account_dict
from engine.admin.api_tokens import LAST_USED_GRAIN
from engine.errors import NotAllowed
from engine.store.tables import User
from tests.helpers.statements import recording

T0 = clock.parse_moment("2026-05-11T09:00:00")


@pytest.fixture
def cast(people):
    people.add_user("lead", ["water"], display_name="李 科长", roles=("section_head", "designer", "leader"))
    return people


def sent(recorder) -> list[str]:
    return [s.verb for s in recorder.statements if s.verb != "BEGIN"]


def test_an_account_is_one_select_and_says_what_account_dict_says(cast):
    names = ["admin", "designer", "water1", "lead"]
    with cast.uow(write=False) as uow:
        expected = {n: account_dict(uow.session, uow.session.scalar(select(User).where(User.name == n)))
                    for n in names}
    for name in names:
        with recording(cast.db) as rec:
            account = cast.account(name)
        assert account == expected[name]
        assert sent(rec) == ["SELECT"] and rec.writes() == []
    assert cast.account("lead")["roles"] == ["designer", "leader", "section_head"]
    assert cast.account("water1")["roles"] == []


def test_a_disabled_or_unknown_account_is_none(cast):
    cast.set_active("lead", False, actor="admin")
    assert cast.account("lead") is None and cast.account("nobody") is None


def test_a_token_is_checked_with_one_select_and_no_write(cast):
    secret = cast.create_api_token("lead", "ci")
    with clock.frozen_at(T0):
        cast.authenticate_token(secret)  # first use: the last-used time is recorded
    with clock.frozen_at(T0 + timedelta(minutes=3)), recording(cast.db) as rec:
        account = cast.authenticate_token(secret)
    assert account == cast.account("lead")
    assert sent(rec) == ["SELECT"] and rec.writes() == []


@pytest.mark.parametrize("secret", ["", "nope", "sanfu_" + "x" * 200, None, 42])
def test_a_malformed_token_is_refused_without_a_query(cast, secret):
    with recording(cast.db) as rec, pytest.raises(NotAllowed):
        cast.authenticate_token(secret)
    assert rec.statements == []


def test_a_revoked_token_or_disabled_user_is_refused_at_the_next_call(cast):
    secret = cast.create_api_token("lead", "ci")
    other = cast.create_api_token("lead", "other")
    cast.authenticate_token(secret)
    [first, _] = cast.api_tokens("lead")
    cast.revoke_api_token("lead", first["id"])
    with pytest.raises(NotAllowed):
        cast.authenticate_token(secret)
    assert cast.authenticate_token(other)["name"] == "lead"
    cast.set_active("lead", False, actor="admin")
    with pytest.raises(NotAllowed):
        cast.authenticate_token(other)
    with pytest.raises(NotAllowed):
        cast.authenticate_token(cast.create_api_token("water1", "x").replace("sanfu_", "sanfu_z"))


def test_the_last_used_time_is_coarse_and_written_apart(cast):
    secret = cast.create_api_token("water1", "ci")
    assert cast.api_tokens("water1")[0]["last_used_at"] is None
    with clock.frozen_at(T0), recording(cast.db) as rec:
        cast.authenticate_token(secret)
    read, touch = [s for s in rec.statements if s.verb in ("SELECT", "UPDATE")]
    assert read.verb == "SELECT" and not read.write_transaction
    assert touch.verb == "UPDATE" and touch.write_transaction  # its own transaction, after the read
    for minutes in (1, 7, 14):
        with clock.frozen_at(T0 + timedelta(minutes=minutes)), recording(cast.db) as rec:
            cast.authenticate_token(secret)
        assert rec.writes() == []
    assert cast.api_tokens("water1")[0]["last_used_at"] == T0.isoformat()
    later = T0 + LAST_USED_GRAIN + timedelta(seconds=1)
    with clock.frozen_at(later):
        cast.authenticate_token(secret)
    assert cast.api_tokens("water1")[0]["last_used_at"] == later.isoformat()


def test_a_touch_that_lost_a_race_changes_nothing(cast):
    secret = cast.create_api_token("water1", "ci")
    with clock.frozen_at(T0):
        cast.authenticate_token(secret)
    [token] = cast.api_tokens("water1")
    cast._touch(token["id"], T0 + timedelta(minutes=5))  # another worker read the old value too late
    assert cast.api_tokens("water1")[0]["last_used_at"] == T0.isoformat()


def test_bench_auth_reports_one_statement_to_authenticate_and_no_writes(capsys):
    from engine.cli.main import main
    assert main(["bench-auth", "--requests", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for kind in ("api_get", "page_get"):
        figures = report["current"][kind]
        assert figures["auth_statements_per_request"] == 1 and figures["writes_per_request"] == 0
        assert figures["statements_in_write_transactions_per_request"] == 0 and figures["median_ms"] > 0
