"""``python -m ce_rules``: the ``ce-rules`` command line."""

from __future__ import annotations

from ._cli import main

if __name__ == "__main__":  # not when a worker process started by "spawn" imports it
    raise SystemExit(main())
