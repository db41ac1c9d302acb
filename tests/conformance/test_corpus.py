"""Conformance: every file of the third-party BPMN/DMN corpus (../shared/bpmn-corpus, read in
place) against its manifest expectation, through the Engine facade on SQLite.

- executable: the bundle deploys and every executable process of the file is driven to
  `completed` (tasks completed as admin with data satisfying the file's conditions, timers
  fired by moving the engine clock); or it is refused by a documented policy.
- reject: refused, in one readable line naming an element id or a line.
- parse-only: imports, or is refused in one readable line naming an element id or a line.

Nothing but engine.errors exceptions may escape an Engine method. Strict xfails are the
engine's known gaps (`corpus.KNOWN_GAPS`, `corpus.CULPRIT_GAPS`); when a gap is fixed the
test XPASSes and fails until its entry is removed. `tools/conformance_report.py` runs the
same harness and writes docs/conformance.md.
"""
from __future__ import annotations

import pytest

from engine.service import Engine
from tests.conformance import corpus

ROOT = corpus.corpus_dir()
PRESENT = (ROOT / "MANIFEST.tsv").is_file()
ROWS = corpus.load_manifest(ROOT) if PRESENT else []


def _require_corpus() -> None:
    if PRESENT:
        return
    message = corpus.missing_message(ROOT)
    if corpus.in_ci():
        pytest.fail(f"{message} (CI=true: a missing corpus fails the suite)")
    pytest.skip(message)


def _params(rows, gaps: dict[str, str]):
    if not PRESENT:
        return [pytest.param(None, id="MANIFEST.tsv")]
    params = []
    for row in rows:
        marks = [pytest.mark.xfail(strict=True, reason=gaps[row.path])] if row.path in gaps else []
        params.append(pytest.param(row, id=row.path, marks=marks))
    return params


def _outcome(row, sqlite_engine, tmp_path) -> corpus.Outcome:
    forms = tmp_path / "forms"
    forms.mkdir()
    return corpus.run_row(row, ROOT, lambda: Engine(db_engine=sqlite_engine, forms_dir=forms))


@pytest.mark.parametrize("row", _params(ROWS, corpus.KNOWN_GAPS))
def test_corpus_file(row, sqlite_engine, tmp_path):
    _require_corpus()
    outcome = _outcome(row, sqlite_engine, tmp_path)
    found = corpus.problems(outcome, ROOT)
    assert not found, f"{row.path} ({row.expectation}):\n  " + "\n  ".join(found)


@pytest.mark.parametrize("row", _params([r for r in ROWS if r.expectation == "reject"],
                                        corpus.CULPRIT_GAPS))
def test_reject_names_what_is_invalid(row, sqlite_engine, tmp_path):
    """Stricter than test_corpus_file: the refusal names the element (or line) that makes
    the negative fixture invalid, not some other element refused for another reason."""
    _require_corpus()
    outcome = _outcome(row, sqlite_engine, tmp_path)
    found = corpus.culprit_problems(outcome)
    assert not found, f"{row.path}: " + "; ".join(found)


def test_harness_tables_match_manifest():
    """Every path the harness names is a manifest row with the right expectation, so a
    typo cannot silently turn a plan, policy or gap entry into a no-op."""
    _require_corpus()
    by_path = {row.path: row.expectation for row in ROWS}
    assert len(by_path) == len(ROWS), "duplicate paths in MANIFEST.tsv"
    counts = {kind: sum(1 for e in by_path.values() if e == kind) for kind in corpus.EXPECTATIONS}
    assert counts == {"executable": 33, "reject": 9, "parse-only": 19}, counts
    executable = {p for p, e in by_path.items() if e == "executable"}
    rejects = {p for p, e in by_path.items() if e == "reject"}
    for path, companions in corpus.COMPANIONS.items():
        assert path in executable, path
        assert set(companions) <= set(by_path), companions
        assert all((ROOT / p).is_file() for p in [path, *companions]), path
    assert set(corpus.PLANS) <= executable, set(corpus.PLANS) - executable
    assert set(corpus.POLICY_REFUSALS) <= executable, set(corpus.POLICY_REFUSALS) - executable
    assert {policy for policy, _ in corpus.POLICY_REFUSALS.values()} <= set(corpus.POLICIES)
    assert set(corpus.KNOWN_GAPS) <= set(by_path), set(corpus.KNOWN_GAPS) - set(by_path)
    assert set(corpus.REJECT_CULPRITS) == rejects, set(corpus.REJECT_CULPRITS) ^ rejects
    assert set(corpus.CULPRIT_GAPS) <= rejects, set(corpus.CULPRIT_GAPS) - rejects
    # every executable BPMN file with user tasks has a plan saying how to drive it
    for path in executable - set(corpus.POLICY_REFUSALS):
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
        if "userTask" in text:
            assert path in corpus.PLANS, f"{path} has user tasks but no plan"


def test_only_engine_errors_escape():
    """The harness's own guard: a non-SanfuError escaping an Engine method is recorded as a
    crash (and fails its row), a SanfuError passes through as a refusal."""
    from engine.errors import DefinitionError

    def boom():
        raise KeyError("internal")

    with pytest.raises(corpus.Crash, match="KeyError"):
        corpus._call("deploy", boom)
    with pytest.raises(DefinitionError):
        corpus._call("deploy", lambda: (_ for _ in ()).throw(DefinitionError("bad", file="x.bpmn")))
    assert corpus.message_problems("x.bpmn:3, element 'a': Traceback (most recent call last)")
    assert corpus.message_problems("x.bpmn, element 'a' (Archive\nInvoice): bad")
    assert corpus.message_problems("x: cannot resolve <Element targetRef at 0x7f00ab>")
    assert not corpus.message_problems("x.bpmn:3, element 'a': bad (reason)")
