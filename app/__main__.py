"""`python -m uforge_mock` is the same as the `uforge-mock` command."""

from uforge_mock.cli.main import main

raise SystemExit(main())
