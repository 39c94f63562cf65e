"""Journeys on top of the generated report data (`tests.reportdata.generate()`): two journey
types over its flows, and a seeded assignment of its surveys to journey steps, with noise that
no journey report may count (a step of the wrong flow, a step not in the definition, ids of
another prefix).

    sleep-apnoea  "apnea-"  referral (visit), sleep-study (visit), cpap (contact: CES 1-7),
                            follow-up (recommend, its question `staff`)
    diabetes      "diab-"   nurse (visit), lab (visit)
"""

from __future__ import annotations

import random
from pathlib import Path

import aiosqlite

from smsbot.storage.journeys import JourneyStep, JourneyType
from tests.reportdata import Dataset

__all__ = [
    "APNEA",
    "DEFINITIONS",
    "DIABETES",
    "JOURNEYS_YAML",
    "assign_journeys",
    "mark",
    "write_journeys_file",
]

APNEA = JourneyType(
    "sleep-apnoea",
    "apnea-",
    (
        JourneyStep("referral", "visit"),
        JourneyStep("sleep-study", "visit"),
        JourneyStep("cpap", "contact"),  # CES 1-7: another scale
        JourneyStep("follow-up", "recommend", "staff"),  # a question named, not the first
    ),
    {"en": "Sleep apnoea care chain", "fi": "Uniapnean hoitoketju"},
)
DIABETES = JourneyType(
    "diabetes", "diab-", (JourneyStep("nurse", "visit"), JourneyStep("lab", "visit"))
)
DEFINITIONS = (APNEA, DIABETES)

JOURNEYS_YAML = """\
format: 1
journeys:
  - id: sleep-apnoea
    title: {en: Sleep apnoea care chain, fi: Uniapnean hoitoketju}
    id_prefix: "apnea-"
    steps:
      - {step: referral, flow: visit}
      - {step: sleep-study, flow: visit}
      - {step: cpap, flow: contact}
      - {step: follow-up, flow: recommend, question: staff}
  - id: diabetes
    id_prefix: "diab-"
    steps:
      - {step: nurse, flow: visit}
      - {step: lab, flow: visit}
"""


def assign_journeys(data: Dataset, seed: int = 7) -> dict[str, tuple[str, str]]:
    """conversation id -> (journey id, journey step), with noise."""
    rng = random.Random(seed)
    found: dict[str, tuple[str, str]] = {}
    for conv in data.conversations:
        roll = rng.random()
        if conv.flow_id == "visit" and roll < 0.5:
            kind = rng.choice(("apnea", "diab"))
            steps = ("referral", "sleep-study") if kind == "apnea" else ("nurse", "lab")
            step = steps[0] if rng.random() < 0.6 else steps[1]  # fewer reach the later step
            found[conv.id] = (f"{kind}-{rng.randrange(400)}", step)
        elif conv.flow_id == "contact" and roll < 0.3:
            found[conv.id] = (f"apnea-{rng.randrange(400)}", "cpap")
        elif conv.flow_id == "recommend" and roll < 0.25:
            found[conv.id] = (f"apnea-{rng.randrange(400)}", "follow-up")
        elif roll < 0.35:  # noise: a wrong flow for the step, an unknown step, another prefix
            wrong = "cpap" if conv.flow_id == "visit" else "referral"
            found[conv.id] = rng.choice(
                (
                    (f"apnea-{rng.randrange(400)}", wrong),
                    (f"apnea-{rng.randrange(400)}", "unknown-step"),
                    (f"apneaX{rng.randrange(400)}", "referral"),
                    (f"apnea{rng.randrange(400)}", "referral"),
                )
            )
    return found


async def mark(conn: aiosqlite.Connection, assignment: dict[str, tuple[str, str]]) -> None:
    """Set each assigned conversation's journey id and step (no commit: the caller's unit)."""
    await conn.executemany(
        "UPDATE conversations SET journey_id = ?, journey_step = ? WHERE id = ?",
        [(jid, step, cid) for cid, (jid, step) in assignment.items()],
    )


def write_journeys_file(directory: Path) -> Path:
    path = directory / "journeys.yaml"
    path.write_text(JOURNEYS_YAML)
    return path
