"""`python -m app` is the same as the `uforge-mock` command."""

from app.cli import main

raise SystemExit(main())
