"""The aggregates' write cost: CPU per answer with and without their triggers.

    python -m bench.trigger_cost PLAIN.db WITH.db

PLAIN.db is a history without the aggregates (schema before them), WITH.db the same history
upgraded. On a copy of each, 20 000 answers are inserted into stored conversations, each with
the engine's conversation UPDATE (state, language, status, step, updated_at), in one
transaction; the best CPU time of 5 rounds, per answer.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

_ANSWER = (
    "INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind,"
    " value_num, raw_text, created_at)"
    " VALUES (?, ?, ?, 'ces', 'scale', 4, '4', '2026-11-01T00:00:00.000+00:00')"
)
_STEP = (
    "UPDATE conversations SET state = state, language = language, status = status,"
    " step = step + 1, updated_at = '2026-11-01T00:00:01.000+00:00' WHERE id = ?"
)


def per_answer_us(history: Path, answers: int = 20_000, rounds: int = 5) -> float:
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.db"
        for _ in range(rounds):
            shutil.copyfile(history, copy)
            conn = sqlite3.connect(copy, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            sql = f"SELECT id, flow_id, flow_version FROM conversations LIMIT {answers}"
            rows = conn.execute(sql).fetchall()
            started = time.process_time()
            conn.execute("BEGIN")
            for conversation, flow, version in rows:
                conn.execute(_ANSWER, (conversation, flow, version))
                conn.execute(_STEP, (conversation,))
            conn.execute("COMMIT")
            best = min(best, (time.process_time() - started) / len(rows))
            conn.close()
    return best * 1e6


def main() -> None:
    plain, kept = (per_answer_us(Path(arg)) for arg in sys.argv[1:3])
    print(f"CPU per answer: {plain:.1f} us without the triggers, {kept:.1f} us with them")


if __name__ == "__main__":
    main()
