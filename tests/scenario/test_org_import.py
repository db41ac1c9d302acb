"""The org and the pairing list travel as spreadsheets; a bad file changes nothing."""
import pytest

from engine.exchange.commands import ImportRefused
from engine.exchange.pairing import PairingRow, read_pairing, write_pairing
from engine.org.creditcode import demo_credit_codes
from tests.helpers.province import build_province


def rows(codes, over=None):
    over = over or {}
    base = [PairingRow(n + 1, f"企业{n + 1}", code, "小", "传统产业", "西湖区分局", "西湖 联络员", "13800000000",
                       "西湖 分管局长", False, 2026, "paired") for n, code in enumerate(codes)]
    return [PairingRow(**{**r.__dict__, **over.get(r.seq, {})}) for r in base]


def test_pairing_list_round_trips_through_xlsx(engine, tmp_path):
    build_province(engine)
    path = tmp_path / "pairing.xlsx"
    write_pairing(rows(demo_credit_codes(3, seed=11)), path)
    report = engine.import_pairing(path, actor="root")
    assert report.imported == 3 and report.errors == []
    out = tmp_path / "out.csv"
    assert engine.export_pairing(out, unit="xh") == 4  # the province fixture's enterprise too
    exported = read_pairing(out)
    assert exported.ok and {r.name for r in exported.rows} >= {"企业1", "企业2", "企业3"}
    assert {r.liaison for r in exported.rows} == {"西湖 联络员"}


def test_a_file_with_a_bad_row_imports_nothing_unless_asked_for_good_rows(engine, tmp_path):
    build_province(engine)
    codes = demo_credit_codes(3, seed=12)
    path = tmp_path / "pairing.csv"
    write_pairing(rows(codes, {2: {"liaison": "查无此人"}}), path)
    with pytest.raises(ImportRefused) as err:
        engine.import_pairing(path, actor="root")
    assert "序号 2" in str(err.value) and "查无此人" in str(err.value)
    assert engine.export_pairing(tmp_path / "none.csv") == 1  # only the fixture's enterprise
    report = engine.import_pairing(path, actor="root", good_rows_only=True)
    assert report.imported == 2 and len(report.errors) == 1
    assert engine.export_pairing(tmp_path / "some.csv") == 3


def test_org_workbook_round_trips(engine, tmp_path):
    build_province(engine)
    path = tmp_path / "org.xlsx"
    engine.export_org(path)
    from engine.service import Engine
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade
    db = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    upgrade(db)
    copy = Engine(db_engine=db)
    copy.add_user("root", admin=True)
    report = copy.import_org(path, actor="root")
    assert report.errors == [] and report.imported >= 4 + 12 + 9
    copy.export_org(tmp_path / "again.xlsx")
    from engine.exchange.pairing import read_org
    first, second = read_org(path), read_org(tmp_path / "again.xlsx")
    assert sorted(map(repr, first.users)) == sorted(map(repr, second.users))
    assert sorted(map(repr, first.units)) == sorted(map(repr, second.units))
