"""The command line refuses a value its column cannot hold by the field's Chinese name (exit 1, nothing
created), on the same check as the pages and the API (engine.store.limits)."""
import pytest

from engine.cli.main import main


@pytest.fixture
def sanfu(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SANFU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init")[0] == 0
    return run


def test_an_overlong_display_name_is_refused_by_name(sanfu):
    code, _, err = sanfu("user", "add", "alice", "--display-name", "张" * 129)
    assert code == 1 and "姓名不能超过 128 字，未保存" in err
    code, _, err = sanfu("group", "add", "water", "--display-name", "水" * 129)
    assert code == 1 and "组名称不能超过 128 字" in err
    assert sanfu("user", "add", "alice", "--display-name", "张" * 128)[0] == 0   # nothing was half-made before
    assert sanfu("group", "add", "water", "--display-name", "水环境科")[0] == 0
