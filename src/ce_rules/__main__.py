"""``python -m ce_rules``: the ``ce-rules`` command line."""

from __future__ import annotations

from ._cli import main

raise SystemExit(main())
