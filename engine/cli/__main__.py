"""`python -m engine.cli` runs the `sanfu` command."""
import sys

from engine.cli.main import main

sys.exit(main())
