"""Broken flow files give `file:line: message`; shipped and valid ones load."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsbot.flowfiles import check_files, flow_files, load_flow_dir, load_flow_file

HERE = Path(__file__).parent
BROKEN = HERE / "flows_broken"

EXPECTED = [
    ("bad-condition.yaml", 15, "question 'why': condition: use '==' to compare (column 6)"),
    ("duplicate-key.yaml", 13, "duplicate key 'text'"),
    ("later-question.yaml", 11, "question 'why': condition names 'solved', which is asked later"),
    ("max-below-min.yaml", 15, "question 'ces': max (8) must be greater than min (9)"),
    ("missing-translation.yaml", 14, "question 'csat': missing the 'fi' text"),
    ("syntax-error.yaml", 6, "could not read YAML: mapping values are not allowed here"),
    (
        "tab-indent.yaml",
        4,
        "could not read YAML: found character '\\t' that cannot start any token",
    ),
    ("typo-key.yaml", 3, "unknown key 'tittle' (did you mean 'title'?)"),
    ("unknown-placeholder.yaml", 11, "question 'wait': unknown placeholder {wait_minutes}"),
    ("unreachable.yaml", 15, "question 'why' is never asked: its condition is never true"),
    ("wrong-value.yaml", 14, "question 'why': 'solved' is never 'ja' (it is one of yes, no)"),
]


@pytest.mark.parametrize(("name", "line", "message"), EXPECTED)
def test_broken_files_are_located(name: str, line: int, message: str) -> None:
    path = BROKEN / name
    flow, findings = load_flow_file(path)
    assert flow is None
    assert [str(f) for f in findings if f.severity == "error"] == [f"{path}:{line}: {message}"]


def test_every_broken_file_is_in_the_table() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(n for n, _, _ in EXPECTED)


def test_warnings_name_language_segments_and_encoding() -> None:
    path = HERE / "flows_valid" / "warnings.yaml"
    flow, findings = load_flow_file(path)
    assert flow is not None
    assert [str(f) for f in findings] == [
        f"{path}:7: warning: opening ('sv') does not say answering is free",
        f"{path}:7: warning: opening ('sv') does not say how to stop",
        f"{path}:15: warning: question 'comment' text ('sv'): needs UCS-2 because of '–'"
        " (70 characters per SMS)",
        f"{path}:15: warning: question 'comment' text ('sv'): 3 SMS segments"
        " (UCS-2, 171 characters)",
    ]


def test_the_shipped_flows_load_without_findings() -> None:
    flows, findings = load_flow_dir(HERE.parent / "flows")
    assert findings == []
    assert sorted(flows) == ["benefit-decision", "contact-centre", "health-visit"]
    for flow in flows.values():
        assert flow.languages and set(flow.languages) == {"sv", "fi", "en"}


def test_tags_yaml_is_not_a_flow() -> None:
    assert "tags.yaml" not in [p.name for p in flow_files(HERE.parent / "flows")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty: a flow starts with 'format: 1'"),
        ("- a\n- b\n", "a flow file must be a mapping (format, id, ...)"),
        ("a: &x 1\nb: *x\n<<: {c: 1}\n", "merge keys (<<) are not supported"),
    ],
)
def test_odd_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(content)
    assert [f.message for f in load_flow_file(path)[1]] == [message]


def test_unreadable_files(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("id: vård".encode("latin-1"))
    assert load_flow_file(latin1)[1][0].message.startswith("not UTF-8 text")
    assert load_flow_file(tmp_path / "none.yaml")[1][0].message == "no such file"


def test_two_files_with_one_id_or_one_trigger(tmp_path: Path) -> None:
    source = (HERE.parent / "flows" / "health-visit.yaml").read_text()
    (tmp_path / "a.yaml").write_text(source)
    (tmp_path / "b.yaml").write_text(source)
    messages = [f.message for f in check_files(sorted(tmp_path.glob("*.yaml")))]
    assert messages == [
        "flow id 'health-visit' is used by another file too",
        "event type 'visit.completed' already starts flow 'health-visit'",
    ]
