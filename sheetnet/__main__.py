"""python -m sheetnet: the same as the sheetnet command."""

from .cli import main

raise SystemExit(main())
