"""`make bench`: run every phase, print the table, write bench/results.json.

    python -m bench.run            # full: about ten minutes on 2 cores
    BENCH_QUICK=1 python -m bench.run   # the same figures, smaller, in under a minute

BENCH_KEEP=1 keeps the temporary folder (databases, logs); BENCH_TMPDIR chooses where it goes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:  # also as `python bench/run.py`
        sys.path.insert(0, str(root))
    from bench.suite import run

    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    keep = os.environ.get("BENCH_KEEP", "") not in ("", "0")
    asyncio.run(run(quick=quick, keep=keep, out=root / "bench" / "results.json"))


if __name__ == "__main__":
    main()
