"""The garbage collector and long-running processes."""

from __future__ import annotations

import gc


def freeze_imports() -> None:
    """Keep what start-up imported out of every later full garbage collection.

    Python's full collection walks every tracked object, and the modules a process imports
    (SQLAlchemy, slack_sdk, matplotlib: ~160,000 objects) are most of them: one collection
    took ~100 ms in the middle of a quarterly agenda, whose charts leave cyclic garbage
    behind; with the imports frozen it takes ~15 ms. Call once, after the imports and
    before the work (and before forking, so the workers share those pages).
    """
    gc.collect()
    gc.freeze()
