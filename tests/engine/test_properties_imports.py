"""Property tests (hypothesis) on the pairing list and org workbook imports: whatever a file's cells
say — NUL bytes, very long text, stray numbers, unknown units or people — the import answers with a
report or refuses with a SanfuError, never another exception, and a refused import leaves every
table's row count as it was (nothing half-saved)."""
from __future__ import annotations

import csv

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import Workbook

from engine.errors import SanfuError
from engine.exchange.org_workbook import SECTION_COLUMNS, SHEETS, UNIT_COLUMNS, USER_COLUMNS
from engine.exchange.pairing import PAIRING_COLUMNS, PAIRING_OPTIONAL
from engine.org.creditcode import demo_credit_codes
from tests.engine.test_properties_forms import _row_counts
from tests.helpers.province import build_province

PROPERTY = settings(max_examples=30, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ODD = st.one_of(st.text(max_size=30), st.sampled_from(["\x00", "x" * 300, "-1", "1e9", "2147483648", " ", "是",
                                                        "西湖区分局", "xh", "查无此人"]))
CODES = demo_credit_codes(4, seed=23)
GOOD_PAIRING = ["1", "性质企业", CODES[0], "小", "传统产业", "西湖区分局", "西湖 联络员", "13800000000",
                "西湖 分管局长", "否", "2026", "已结对"]


@pytest.fixture
def province(engine):
    build_province(engine)
    return engine


def _pairing_rows():
    """Up to three rows, each a good row with some cells replaced by odd text."""
    row = st.dictionaries(st.integers(0, len(GOOD_PAIRING) - 1), ODD, max_size=4).map(
        lambda changes: [changes.get(i, cell) for i, cell in enumerate(GOOD_PAIRING)])
    return st.lists(row, min_size=1, max_size=3)


def test_a_pairing_list_with_any_cells_imports_or_changes_nothing(province, tmp_path):
    path = tmp_path / "pairing.csv"

    @PROPERTY
    @given(rows=_pairing_rows(), good_rows_only=st.booleans())
    def check(rows, good_rows_only):
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([list(PAIRING_COLUMNS + PAIRING_OPTIONAL), *rows])
        before = _row_counts(province)
        try:
            report = province.import_pairing(path, actor="root", good_rows_only=good_rows_only)
        except SanfuError as refused:
            assert refused.code and _row_counts(province) == before
        else:
            assert report.imported + report.skipped >= 1

    check()


PRINTABLE = st.text(st.characters(blacklist_categories=["Cc", "Cs"]), max_size=30)
ORG_ODD = st.one_of(PRINTABLE, st.sampled_from(["x" * 300, "county", "city", "xh", "water", "staff", "xh_new"]))
GOOD_ORG = {"单位": ["xh_new_unit", "新单位", "county", "hz"], "科室": ["xh", "new_sec", "新科室"],
            "人员": ["xh_new", "新人", "xh", "water", "staff"]}


def _org_sheets():
    def sheet(name):
        good = GOOD_ORG[name]
        return st.dictionaries(st.integers(0, len(good) - 1), ORG_ODD, max_size=3).map(
            lambda changes: [changes.get(i, cell) for i, cell in enumerate(good)])
    return st.fixed_dictionaries({name: st.lists(sheet(name), max_size=2) for name in SHEETS})


def test_an_org_workbook_with_any_cells_imports_or_changes_nothing(province, tmp_path):
    path = tmp_path / "org.xlsx"
    headers = dict(zip(SHEETS, (UNIT_COLUMNS, SECTION_COLUMNS, USER_COLUMNS)))

    @PROPERTY
    @given(sheets=_org_sheets(), good_rows_only=st.booleans())
    def check(sheets, good_rows_only):
        book = Workbook()
        book.remove(book.active)
        for name in SHEETS:
            page = book.create_sheet(name)
            for row in [list(headers[name]), *sheets[name]]:
                page.append(row)
        book.save(path)
        before = _row_counts(province)
        try:
            province.import_org(path, actor="root", good_rows_only=good_rows_only)
        except SanfuError as refused:
            assert refused.code and _row_counts(province) == before

    check()
