"""`sanfu overview` pages like `sanfu tasks`: a supervisor's scope read page by page gives every
open task exactly once, each page but the last says there is more, and a bad --limit is refused."""
from __future__ import annotations

import json

from engine import clock
from engine.cli.main import main
from tests.engine.test_bulletin_cli import _world
from tests.helpers.dashboard_rows import NOW


def _page(capsys, page: int, limit: int) -> tuple[list[dict], str]:
    with clock.frozen_at(NOW):
        assert main(["overview", "--as", "hz_super", "--json", "--page", str(page), "--limit", str(limit)]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_the_supervisors_scope_read_page_by_page_is_every_open_task_once(tmp_path, monkeypatch, capsys):
    engine = _world(tmp_path, monkeypatch)
    with clock.frozen_at(NOW):
        everything = [row["id"] for row in engine.overview("hz_super")]
    assert len(everything) > 3
    seen, page = [], 1
    while True:
        rows, err = _page(capsys, page, 3)
        seen += [row["id"] for row in rows]
        if "还有更多" not in err:
            break
        assert len(rows) == 3 and f"--page {page + 1}" in err
        page += 1
    assert seen == everything  # same order, none repeated, none skipped
    assert page == -(-len(everything) // 3)


def test_a_bad_limit_is_refused_not_clamped(tmp_path, monkeypatch, capsys):
    _world(tmp_path, monkeypatch)
    assert main(["overview", "--as", "hz_super", "--limit", "0"]) != 0
    assert "--limit" in capsys.readouterr().err
