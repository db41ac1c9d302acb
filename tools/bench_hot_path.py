"""`sanfu bench`'s workload (engine/bench/hot_path.py of THIS checkout) run over the engine of
any checkout — the way to put a previous release side by side with this one, even a release
whose `sanfu bench` had no --database option or no 200-item step.

    cd /path/to/previous && PYTHONPATH=/path/to/previous \\
        python /path/to/this/tools/bench_hot_path.py --json [--database URL] [--instances N]

Prints what `sanfu bench --json` prints."""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

WORKLOAD = Path(__file__).resolve().parents[1] / "engine" / "bench" / "hot_path.py"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--database", default=None, metavar="URL")
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("sanfu_bench_hot_path", WORKLOAD)
    workload = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workload)  # its `engine` imports resolve on PYTHONPATH: the checkout measured
    report = workload.run_bench(args.instances, None, args.database)
    print(json.dumps(report, ensure_ascii=False) if args.json else report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
