"""Reading flow files: YAML with line numbers, so every problem reads `file:line: what is wrong`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from smsbot.engine.definition import Problem, build_flow
from smsbot.engine.model import Flow

__all__ = ["Finding", "check_files", "flow_files", "load_flow_dir", "load_flow_file"]

Lines = dict[tuple[str | int, ...], int]
NOT_FLOWS = ("tags.yaml", "tags.yml")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {prefix}{self.message}"


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line, self.message = line, message


def load_flow_file(path: Path) -> tuple[Flow | None, list[Finding]]:
    """Read and check one flow file; never raises for what is in the file."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Finding(name, 1, "no such file")]
    except UnicodeDecodeError as error:
        return None, [Finding(name, 1, f"not UTF-8 text (byte {error.start})")]
    except OSError as error:
        return None, [Finding(name, 1, f"cannot read: {error.strerror}")]
    try:
        data, lines = _compose(text)
    except _Refused as refused:
        return None, [Finding(name, refused.line, refused.message)]
    flow, problems = build_flow(data)
    return flow, [_locate(name, problem, data, lines) for problem in problems]


def _compose(text: str) -> tuple[object, Lines]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise _Refused(line, f"could not read YAML: {error.problem or error}") from error
    except yaml.YAMLError as error:
        raise _Refused(1, f"could not read YAML: {error}") from error
    if node is None:
        raise _Refused(1, "the file is empty: a flow starts with 'format: 1'")
    if not isinstance(node, yaml.MappingNode):
        raise _Refused(node.start_mark.line + 1, "a flow file must be a mapping (format, id, ...)")
    lines: Lines = {}
    return _plain(node, (), lines), lines


def _plain(node: yaml.Node, path: tuple[str | int, ...], lines: Lines) -> object:
    """The node as plain data, noting each path's line; duplicate keys are refused."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        return _plain_mapping(node, path, lines)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> object:
    """A scalar's value, typed as YAML 1.1 safe loading types it (true, 12, 'text')."""
    return yaml.SafeLoader("").construct_object(node)


def _plain_mapping(node: yaml.MappingNode, path: tuple[str | int, ...], lines: Lines) -> object:
    result: dict[str, object] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise _Refused(key_node.start_mark.line + 1, "merge keys (<<) are not supported")
        key = str(_scalar(key_node))
        if key in result:
            raise _Refused(key_node.start_mark.line + 1, f"duplicate key '{key}'")
        lines[(*path, key)] = key_node.start_mark.line + 1
        result[key] = _plain(value_node, (*path, key), lines)
        lines[(*path, key)] = key_node.start_mark.line + 1
    return result


def _locate(name: str, problem: Problem, data: object, lines: Lines) -> Finding:
    path = problem.path
    while path and path not in lines:
        path = path[:-1]
    line = lines.get(path, 1)
    return Finding(name, line, _prefix(problem, data) + problem.message, problem.severity)


def _prefix(problem: Problem, data: object) -> str:
    """`question 'ces': ` before a problem inside a question."""
    path = problem.path
    if len(path) < 2 or path[0] != "questions" or not isinstance(path[1], int):
        return ""
    questions = data.get("questions") if isinstance(data, Mapping) else None
    if not isinstance(questions, list) or path[1] >= len(questions):
        return ""
    item = questions[path[1]]
    qid = item.get("id") if isinstance(item, Mapping) else None
    if not qid or problem.message.startswith(f"question '{qid}'"):
        return ""
    return f"question '{qid}': "


def flow_files(directory: Path) -> list[Path]:
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return [p for p in files if p.name not in NOT_FLOWS]


def load_flow_dir(directory: Path) -> tuple[dict[str, Flow], list[Finding]]:
    """Every flow in the folder; a broken file is left out and reported."""
    flows: dict[str, Flow] = {}
    findings: list[Finding] = []
    paths = flow_files(directory)
    if not directory.is_dir():
        return {}, [Finding(str(directory), 1, "no such folder of flows")]
    for path in paths:
        flow, found = load_flow_file(path)
        findings += found
        if flow is not None:
            findings += _clashes(flow, path, flows)
            flows.setdefault(flow.id, flow)
    return flows, findings


def _clashes(flow: Flow, path: Path, flows: Mapping[str, Flow]) -> list[Finding]:
    found = []
    if flow.id in flows:
        found.append(Finding(str(path), 1, f"flow id '{flow.id}' is used by another file too"))
    for other in flows.values():
        for trigger in set(flow.triggers) & set(other.triggers):
            message = f"event type '{trigger}' already starts flow '{other.id}'"
            found.append(Finding(str(path), 1, message))
    return found


def check_files(paths: Sequence[Path]) -> list[Finding]:
    """What `smsbot flows check` prints: each file's findings, then clashes between files."""
    findings: list[Finding] = []
    flows: dict[str, Flow] = {}
    for path in paths:
        flow, found = load_flow_file(path)
        findings += found
        if flow is not None:
            findings += _clashes(flow, path, flows)
            flows.setdefault(flow.id, flow)
    return findings
