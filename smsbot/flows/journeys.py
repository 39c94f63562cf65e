"""Reading `journeys.yaml`: the journey types, their steps in order and a flow per step.

The file lives beside the flows (it is not a flow: `flow_files` leaves it out), and
`smsbot flows check` checks it with the flows, each problem as `file:line: what is wrong`:

    format: 1
    journeys:
      - id: sleep-apnoea
        title: {fi: Uniapnean hoitoketju, sv: Vårdkedja vid sömnapné, en: Sleep apnoea care chain}
        id_prefix: "apnea-"          # journey ids of this type start so: "apnea-7f3a91"
        steps:
          - step: referral           # the `journey.step` events send for this step
            title: {en: Referral visit}
            flow: health-visit       # whose surveys count for this step
            question: csat           # its satisfaction (default: the csat scale, else the first)

A journey type with a problem is left out (the others still load); a file that cannot be read
gives no journey types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from smsbot.engine.definition import DataPath
from smsbot.engine.model import Flow, Kind
from smsbot.flows.files import Finding, line_of, read_yaml_file
from smsbot.storage.journeys import JourneyStep, JourneyType
from smsbot.suggest import did_you_mean

__all__ = ["JOURNEYS_FILE", "journeys_path", "load_journeys"]

JOURNEYS_FILE = "journeys.yaml"
_TOP = ("format", "journeys")
_JOURNEY = ("id", "title", "id_prefix", "steps")
_STEP = ("step", "title", "flow", "question")
_LANGUAGES = ("sv", "fi", "en")
_LONGEST = 200
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def journeys_path(flows_dir: str | Path) -> Path:
    return Path(flows_dir) / JOURNEYS_FILE


def load_journeys(
    path: Path, flows: Mapping[str, Flow] | None
) -> tuple[list[JourneyType], list[Finding]]:
    """The journey types of the file (none when it does not exist), and its problems. With
    `flows`, each step's flow and question are checked against them."""
    if not path.exists():
        return [], []
    read = read_yaml_file(path, "a journeys file is a mapping: 'format: 1' and 'journeys:', a list")
    if isinstance(read, Finding):
        return [], [read]
    check = _Checker(str(path), read.lines, flows)
    found = check.file(read.data)
    findings = [*read.findings, *sorted(check.findings, key=lambda f: f.line)]
    return ([] if read.findings else found), findings


class _Checker:
    """Plain data -> journey types, noting each problem at its line."""

    def __init__(self, name: str, lines: Mapping[DataPath, int], flows: Mapping[str, Flow] | None):
        self.name, self.lines, self.flows = name, lines, flows
        self.findings: list[Finding] = []

    def problem(self, path: DataPath, message: str, severity: str = "error") -> None:
        self.findings.append(Finding(self.name, line_of(self.lines, path), message, severity))

    def errors_since(self, before: int) -> bool:
        return any(f.severity == "error" for f in self.findings[before:])

    def unknown(self, data: Mapping[str, object], known: Sequence[str], path: DataPath) -> bool:
        bad = [key for key in data if key not in known]
        for key in bad:
            hint = did_you_mean(key, known) or f" (known: {', '.join(known)})"
            self.problem((*path, key), f"unknown key '{key}'{hint}")
        return bool(bad)

    def file(self, data: object) -> list[JourneyType]:
        assert isinstance(data, Mapping)  # read_yaml_file refuses anything else
        self.unknown(data, _TOP, ())
        if data.get("format") != 1:
            self.problem(("format",), "expected 'format: 1' (the journeys file's format)")
        items = data.get("journeys")
        if not isinstance(items, list) or not items:
            self.problem(("journeys",), "expected 'journeys:', a list of journey types")
            return []
        found = [self.journey(item, ("journeys", i)) for i, item in enumerate(items)]
        return self.distinct([j for j in found if j is not None])

    def distinct(self, journeys: list[JourneyType]) -> list[JourneyType]:
        """Refuse a second journey type with an id, or a prefix overlapping another's."""
        kept: list[JourneyType] = []
        for index, journey in enumerate(journeys):
            clash = next((k for k in kept if _overlap(k, journey)), None)
            if clash is None:
                kept.append(journey)
                continue
            what = "id" if clash.id == journey.id else "id_prefix"
            message = (
                f"journey '{journey.id}': its {what} overlaps journey '{clash.id}'"
                f" ('{clash.id_prefix}'): a journey id must belong to one type only"
            )
            self.problem(("journeys", index, what), message)
        return kept

    def journey(self, item: object, path: DataPath) -> JourneyType | None:
        if not isinstance(item, Mapping):
            self.problem(path, "a journey type is a mapping: id, title, id_prefix, steps")
            return None
        before = len(self.findings)
        self.unknown(item, _JOURNEY, path)
        journey_id = self.text(item, "id", path)
        if journey_id is not None and not _ID.fullmatch(journey_id):
            self.problem((*path, "id"), f"id '{journey_id}': letters, digits, - and _ only")
        prefix = self.text(item, "id_prefix", path)
        title = self.title(item.get("title"), (*path, "title"))
        steps = self.steps(item.get("steps"), (*path, "steps"), journey_id or "?")
        if self.errors_since(before) or not (journey_id and prefix and steps):
            return None
        return JourneyType(journey_id, prefix, tuple(steps), title)

    def text(self, item: Mapping[str, object], key: str, path: DataPath) -> str | None:
        value = item.get(key)
        if isinstance(value, str) and value.strip() and len(value) <= _LONGEST:
            return value.strip()
        what = {"id": "the journey type's name", "id_prefix": "how its journey ids start"}
        if value is None:
            self.problem((*path, key), f"'{key}' is missing: {what[key]}")
        else:
            self.problem((*path, key), f"'{key}': expected a non-empty text ({what[key]})")
        return None

    def title(self, value: object, path: DataPath) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(value, str):
            return {"en": value}
        if isinstance(value, Mapping) and all(
            lang in _LANGUAGES and isinstance(words, str) for lang, words in value.items()
        ):
            return {str(lang): str(words) for lang, words in value.items()}
        self.problem(path, "a title is a text, or texts per language: {fi: ..., sv: ..., en: ...}")
        return {}

    def steps(self, value: object, path: DataPath, journey_id: str) -> list[JourneyStep]:
        if not isinstance(value, list) or not value:
            self.problem(path, f"journey '{journey_id}': 'steps' is a list of steps, in order")
            return []
        found: list[JourneyStep] = []
        for index, item in enumerate(value):
            step = self.step(item, (*path, index))
            if step is not None and any(s.id == step.id for s in found):
                self.problem((*path, index, "step"), f"step '{step.id}' is listed twice")
            elif step is not None:
                found.append(step)
        return found

    def step(self, item: object, path: DataPath) -> JourneyStep | None:
        if not isinstance(item, Mapping):
            self.problem(path, "a step is a mapping: step, title, flow, question")
            return None
        self.unknown(item, _STEP, path)
        raw = item.get("step")
        if isinstance(raw, bool) or not isinstance(raw, str | int) or not str(raw).strip():
            self.problem((*path, "step"), "'step': the journey.step value events send (text)")
            return None
        flow_id, question = item.get("flow"), item.get("question")
        if not isinstance(flow_id, str) or not flow_id:
            self.problem((*path, "flow"), "'flow': the id of the flow whose surveys count here")
            return None
        if question is not None and not isinstance(question, str):
            self.problem((*path, "question"), "'question': the id of a scale question")
            return None
        self.against_flows(flow_id, question, path)
        title = self.title(item.get("title"), (*path, "title"))
        return JourneyStep(str(raw).strip(), flow_id, question, title)

    def against_flows(self, flow_id: str, question: str | None, path: DataPath) -> None:
        if self.flows is None:
            return
        flow = self.flows.get(flow_id)
        if flow is None:
            hint = did_you_mean(flow_id, self.flows) or f" (flows: {', '.join(sorted(self.flows))})"
            self.problem((*path, "flow"), f"unknown flow '{flow_id}'{hint}")
            return
        scales = [q.id for q in flow.questions if q.kind is Kind.SCALE]
        if question is not None and question not in scales:
            hint = did_you_mean(question, scales) or f" (its scales: {', '.join(scales) or 'none'})"
            self.problem(
                (*path, "question"),
                f"'{question}' is not a scale question of flow '{flow_id}'{hint}",
            )
        elif question is None and not scales:
            self.problem(
                (*path, "flow"),
                f"flow '{flow_id}' has no scale question: this step shows no satisfaction",
                "warning",
            )


def _overlap(a: JourneyType, b: JourneyType) -> bool:
    return (
        a.id == b.id or a.id_prefix.startswith(b.id_prefix) or b.id_prefix.startswith(a.id_prefix)
    )
