"""`sanfu migrate`: one line per instance (可迁移 / 不可迁移：原因) and the totals; exit 1 while any
instance could not move; --map OLD=NEW moves the rest. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.cli.main import main
from tests.helpers.migration_world import build_world, version_of


@pytest.fixture
def migrate(people, db_engine, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))
    ids = build_world(people, tmp_path)
    url = db_engine.url.render_as_string(hide_password=False)

    def run(*args):
        code = main(["--database", url, "migrate", "chain", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return people, ids, run


def test_dry_run_prints_each_instance_and_exits_1_while_one_cannot_move(migrate):
    engine, ids, run = migrate
    code, out, _err = run("--from", "1", "--to", "2", "--dry-run", "--as", "designer")
    lines = out.splitlines()
    assert code == 1
    assert f"实例 {ids['A']}（当前 A）可迁移" in lines
    assert any(line.startswith(f"实例 {ids['B']}（当前 B）不可迁移：") and "B=B2" in line for line in lines)
    assert lines[-1] == "chain 版本 1 → 2（预演）：共 3 个，可迁移 2 个，不可迁移 1 个"
    assert {version_of(engine, i) for i in ids.values()} == {1}


def test_with_the_mapping_everything_moves_and_exits_0(migrate):
    engine, ids, run = migrate
    code, out, _err = run("--from", "1", "--to", "2", "--map", "B=B2", "--as", "designer")
    assert code == 0, out
    assert out.splitlines()[-1] == "chain 版本 1 → 2：共 3 个，已迁移 3 个，未迁移 0 个"
    assert {version_of(engine, i) for i in ids.values()} == {2}


def test_refusals_are_one_line(migrate):
    _engine, _ids, run = migrate
    code, _out, err = run("--from", "1", "--to", "2", "--map", "B", "--as", "designer")
    assert code == 1 and "旧环节=新环节" in err and "Traceback" not in err
    code, _out, err = run("--from", "1", "--to", "2", "--as", "water1")
    assert code == 4 and "Traceback" not in err
