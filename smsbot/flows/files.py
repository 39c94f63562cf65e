"""Reading flow files: YAML with line numbers, so every problem reads `file:line: what is wrong`.

The YAML is composed into nodes (which keep their marks) and walked here into plain data plus a
map from each data path to its line: a problem about a key points at the key's line, one about a
value at the value's. PyYAML accepts duplicate keys silently; here they are errors. Aliases are
resolved (a recursive one, or one that expands past a size limit, is refused), merge keys and
custom tags are refused, and dates stay the text they were written as.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from smsbot.engine.definition import DataPath, Problem, build_flow
from smsbot.engine.model import Flow

__all__ = [
    "Finding",
    "YamlFile",
    "check_files",
    "declared_and_findings",
    "files_not_loaded",
    "flow_files",
    "line_of",
    "load_flow_dir",
    "load_flow_file",
    "read_yaml_file",
]

Lines = dict[DataPath, int]
# Beside the flows, not flows: the feedback tag rules, and the journey types
# (smsbot.flows.journeys).
NOT_FLOWS = ("tags.yaml", "tags.yml", "journeys.yaml")
_MAX_NODES = 100_000  # a flow is a few hundred nodes; aliases must not blow it up
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_AS_WRITTEN = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary")


@dataclass(frozen=True)
class Finding:
    """One problem in one file, at a line, as `smsbot flows check` prints it."""

    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {prefix}{self.message}"


def load_flow_file(path: Path) -> tuple[Flow | None, list[Finding]]:
    """Read and check one flow file; never raises for what is (or is not) in the file."""
    loaded = _load(path)
    return loaded.flow, loaded.findings


@dataclass(frozen=True)
class YamlFile:
    """A YAML file read for checking: its data, the line of each path, its duplicate keys."""

    data: object
    lines: Lines
    findings: list[Finding]  # duplicate keys (the file is still read)


def read_yaml_file(path: Path, shape: str) -> YamlFile | Finding:
    """A YAML file beside the flows (journeys, platform mappings), read as flows are; or the one
    problem that stops it being read. `shape` says what the file must be, for an empty file or
    one that is not a mapping."""
    reader = _Reader()
    try:
        data = reader.read(_read_text(path))
    except _Refused as refused:
        message = refused.message
        if message.startswith(("a flow file", "the file is empty")):
            message = shape
        return Finding(str(path), refused.line, message)
    duplicates = [Finding(str(path), line, message) for line, message in reader.duplicates]
    return YamlFile(data, reader.lines, duplicates)


def line_of(lines: Mapping[DataPath, int], path: DataPath) -> int:
    """The line of a path in a file `read_yaml_file` read, or of its nearest parent."""
    return _line(lines, path)


def flow_files(directory: Path) -> list[Path]:
    """The flow files of a folder: *.yaml and *.yml, except the tag rules."""
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return [p for p in files if p.name not in NOT_FLOWS]


def files_not_loaded(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """The files a load left out, each with all its findings: any error leaves a file out
    (`load_flow_dir`), warnings alone do not."""
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.file, []).append(finding)
    return {
        file: found for file, found in by_file.items() if any(f.severity == "error" for f in found)
    }


def load_flow_dir(directory: Path) -> tuple[dict[str, Flow], list[Finding]]:
    """Every flow in the folder. A broken file, or one whose id or trigger another file already
    has (files are taken in name order), is left out and reported."""
    if not directory.is_dir():
        return {}, [Finding(str(directory), 1, "no such folder of flows")]
    registry = _Registry()
    for path in flow_files(directory):
        registry.add(path, _load(path))
    return registry.flows, registry.findings


def check_files(paths: Sequence[Path]) -> list[Finding]:
    """What `smsbot flows check` prints: each file's findings, and clashes between the files."""
    return declared_and_findings(paths)[1]


def declared_and_findings(paths: Sequence[Path]) -> tuple[dict[str, str], list[Finding]]:
    """`check_files`, plus the flow id each file declares (files with no readable flow are
    absent), each file read once."""
    registry = _Registry()
    for path in paths:
        registry.add(path, _load(path))
    return registry.declared, registry.findings


# --- one file ---------------------------------------------------------------------------------


class _Refused(Exception):
    """The file cannot be read as a flow at all: one finding, at a line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


@dataclass
class _Loaded:
    flow: Flow | None
    findings: list[Finding]
    lines: Lines = field(default_factory=dict)

    def line_of(self, path: DataPath) -> int:
        return _line(self.lines, path)


def _load(path: Path) -> _Loaded:
    name = str(path)
    reader = _Reader()
    try:
        data = reader.read(_read_text(path))
    except _Refused as refused:
        return _Loaded(None, [Finding(name, refused.line, refused.message)])
    flow, problems = build_flow(data)
    found = [Finding(name, line, message) for line, message in reader.duplicates]
    found += [_locate(name, problem, data, reader.lines) for problem in problems]
    found.sort(key=lambda f: f.line)  # stable: same-line findings keep the checker's order
    return _Loaded(None if reader.duplicates else flow, found, reader.lines)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _Refused(1, "no such file") from None
    except IsADirectoryError:
        raise _Refused(1, "this is a folder, not a flow file") from None
    except OSError as error:
        raise _Refused(1, f"cannot read the file: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 text (byte {error.start}): save the file as UTF-8"
        raise _Refused(line, message) from None


class _Reader:
    """YAML text -> plain data, noting the line of every path and every duplicate key."""

    def __init__(self) -> None:
        self.lines: Lines = {}
        self.duplicates: list[tuple[int, str]] = []
        self.nodes = 0
        self.open: set[int] = set()  # ids of the collections being walked (recursive aliases)
        self.constructor = yaml.SafeLoader("")

    def read(self, text: str) -> object:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            problem = error.problem or error.context or str(error)
            if error.context and problem.startswith("but "):  # "expected a single document..."
                problem = f"{error.context}, {problem}"
            raise _Refused(
                mark.line + 1 if mark else 1, f"could not read YAML: {problem}"
            ) from None
        except yaml.YAMLError as error:
            raise _Refused(1, f"could not read YAML: {error}") from None
        except RecursionError:
            raise _Refused(1, "could not read YAML: it nests too deeply") from None
        if node is None:
            raise _Refused(1, "the file is empty: a flow starts with 'format: 1'")
        if not isinstance(node, yaml.MappingNode):
            raise _Refused(_line_of(node), "a flow file must be a mapping (format, id, ...)")
        try:
            return self.plain(node, ())
        except RecursionError:
            raise _Refused(1, "the file nests too deeply") from None

    def plain(self, node: yaml.Node, path: DataPath) -> object:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _Refused(_line_of(node), "the file is too large once its aliases are expanded")
        self.lines.setdefault(path, _line_of(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.open:
            raise _Refused(
                _line_of(node), "an alias (*name) refers to the list or mapping it is in"
            )
        self.open.add(id(node))
        try:
            return self.collection(node, path)
        finally:
            self.open.discard(id(node))

    def collection(self, node: yaml.Node, path: DataPath) -> object:
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
            return [self.plain(item, (*path, i)) for i, item in enumerate(node.value)]
        raise _Refused(_line_of(node), f"YAML tags such as {node.tag} are not supported")

    def mapping(self, node: yaml.MappingNode, path: DataPath) -> dict[str, object]:
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key in result:
                self.duplicates.append((_line_of(key_node), f"duplicate key '{key}'"))
                continue
            self.lines[(*path, key)] = _line_of(key_node)
            result[key] = self.plain(value_node, (*path, key))
        return result

    def key(self, node: yaml.Node) -> str:
        if node.tag == "tag:yaml.org,2002:merge":
            raise _Refused(_line_of(node), "merge keys (<<) are not supported")
        if not isinstance(node, yaml.ScalarNode):
            raise _Refused(_line_of(node), "a key must be a plain word, not a list or mapping")
        return str(node.value)  # as written: `no:` and `on:` stay words, not yes/no values

    def scalar(self, node: yaml.ScalarNode) -> object:
        if node.tag in _AS_WRITTEN:
            return node.value  # a date stays the text it was written as
        try:
            return self.constructor.construct_object(node)
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or str(error)
            raise _Refused(_line_of(node), f"could not read YAML: {problem}") from None


def _line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _line(lines: Mapping[DataPath, int], path: DataPath) -> int:
    """The line of a path, or of its nearest parent that is in the file."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _locate(name: str, problem: Problem, data: object, lines: Lines) -> Finding:
    message = _prefix(problem, data) + problem.message
    return Finding(name, _line(lines, problem.path), message, problem.severity)


def _prefix(problem: Problem, data: object) -> str:
    """`question 'ces': ` before a problem inside a question (by number if it has no id)."""
    path = problem.path
    if len(path) < 2 or path[0] != "questions" or not isinstance(path[1], int):
        return ""
    questions = data.get("questions") if isinstance(data, Mapping) else None
    item = questions[path[1]] if isinstance(questions, list) else None
    qid = item.get("id") if isinstance(item, Mapping) else None
    label = f"question '{qid}'" if isinstance(qid, str) and qid else f"question {path[1] + 1}"
    return "" if problem.message.startswith(label) else f"{label}: "


# --- several files ----------------------------------------------------------------------------


class _Registry:
    """Flows by id and by trigger: a second flow with either is reported and left out."""

    def __init__(self) -> None:
        self.flows: dict[str, Flow] = {}
        self.findings: list[Finding] = []
        self.files: dict[str, str] = {}  # flow id -> its file
        self.triggers: dict[str, str] = {}  # event type -> id of the flow it starts
        self.declared: dict[str, str] = {}  # file -> the flow id it holds, even if left out

    def add(self, path: Path, loaded: _Loaded) -> None:
        self.findings += loaded.findings
        flow = loaded.flow
        if flow is None:
            return
        self.declared[str(path)] = flow.id
        clashes = self.clashes(str(path), flow, loaded)
        self.findings += clashes
        if clashes:
            return
        self.flows[flow.id] = flow
        self.files[flow.id] = str(path)
        self.triggers.update(dict.fromkeys(flow.triggers, flow.id))

    def clashes(self, name: str, flow: Flow, loaded: _Loaded) -> list[Finding]:
        found = []
        if flow.id in self.files:
            message = f"flow id '{flow.id}' is already used by {self.files[flow.id]}"
            found.append(Finding(name, loaded.line_of(("id",)), message))
        for index, trigger in enumerate(flow.triggers):
            other = self.triggers.get(trigger)
            if other is not None:
                where = self.files[other]
                message = f"event type '{trigger}' already starts flow '{other}' ({where})"
                found.append(Finding(name, loaded.line_of(("triggers", index)), message))
        return found
