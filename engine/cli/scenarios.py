"""`sanfu test-process FILE.yaml [--json]`: run a designer's scenario against a throwaway
database and print each step passed or failed with the difference (exit 1 if any failed)."""
from __future__ import annotations

from pathlib import Path

from engine import config
from engine.cli.common import print_json
from engine.errors import InvalidInput
from engine.scenarios.format import SCHEMA, load_scenario
from engine.scenarios.report import as_dict, as_text
from engine.scenarios.runner import run_scenario


def add_scenario_commands(sub) -> None:
    test = sub.add_parser("test-process", help="run process scenario files (YAML) against a throwaway database")
    test.add_argument("files", nargs="*", type=Path, help="scenario files, e.g. processes/*.scenario.yaml")
    test.add_argument("--forms", type=Path, default=None,
                      help="forms folder when the file names none (default: SANFU_FORMS_DIR or forms/)")
    test.add_argument("--json", action="store_true")
    test.add_argument("--schema", action="store_true",
                      help="print the scenario file's JSON Schema (for an editor's YAML support) and exit")


def cmd_test_process(args) -> int:
    if args.schema:
        print_json(SCHEMA)
        return 0
    if not args.files:
        raise InvalidInput("请给出场景文件，如 processes/ledger_matter.scenario.yaml (no scenario file given)")
    forms = args.forms or config.from_environ().forms_dir
    scenarios = [load_scenario(path, forms_default=forms) for path in args.files]  # refuse bad files first
    results = [run_scenario(scenario) for scenario in scenarios]
    if args.json:
        print_json([as_dict(r) for r in results] if len(results) > 1 else as_dict(results[0]))
    else:
        print("\n\n".join(as_text(r) for r in results))
    return 0 if all(r.passed for r in results) else 1


SCENARIO_HANDLERS = {"test-process": cmd_test_process}
