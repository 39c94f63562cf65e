"""Flow files: broken ones give exact `file:line: message` findings; valid and shipped ones load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import structlog

from smsbot.bootstrap.parts import open_parts
from smsbot.config import load_config
from smsbot.flows.files import Finding, check_files, flow_files, load_flow_dir, load_flow_file

HERE = Path(__file__).parent
BROKEN = HERE / "flows_broken"
VALID = HERE / "flows_valid"
SHIPPED = HERE.parents[1] / "flows"

# file -> every finding it gives, as (line, message)
EXPECTED: list[tuple[str, list[tuple[int, str]]]] = [
    ("avoidable.yaml", [
        (15, "question 'reason': expected true or false, got 'yes please'"),
        (21, "condition names 'web_frist', no such question (did you mean 'web_first'?)"),
    ]),
    ("bad-condition.yaml", [(15, "question 'why': condition: use '==' to compare (column 6)")]),
    ("duplicate-key.yaml", [(13, "duplicate key 'text'")]),
    ("later-question.yaml",
     [(11, "question 'why': condition names 'solved', which is asked later")]),
    ("max-below-min.yaml", [(15, "question 'ces': max (8) must be greater than min (9)")]),
    ("missing-translation.yaml", [(14, "question 'csat': missing the 'fi' text")]),
    ("option-typo.yaml", [
        (15, "question 'reason': missing 'label'"),
        (16, "question 'reason': unknown key 'lable' (did you mean 'label'?)"),
    ]),
    ("quiet-hours-unquoted.yaml",
     [(8, 'expected a time of day as HH:MM, got 1260 (put it in quotes: "21:00")')]),
    ("report-keys.yaml", [
        (6, "unknown key 'servce' (did you mean 'service'?)"),
        (15, "question 'csat': 'means' does not apply to a scale question"),
        (19, "question 'solved': missing the 'en' text"),
        (20, "question 'solved': unknown meaning 'resolved' (did you mean 'resolution'?)"),
    ]),
    ("several-problems.yaml", [
        (3, "flow id 'Health Visit': use lower case letters, digits, - and _"),
        (6, "expected a duration such as 30m, 48h or 7d, got '2 days'"),
        (14, "question 'csat': retries must be 0, 1, 2 or 3, got 5"),
        (17, "question 'solved': unknown placeholder {name}"
             " (add it to 'fields' if the event has it)"),
        (20, "question 'why': 'solved' is never 'nej' (it is one of yes, no)"),
    ]),
    ("syntax-error.yaml", [(6, "could not read YAML: mapping values are not allowed here")]),
    ("tab-indent.yaml",
     [(4, "could not read YAML: found character '\\t' that cannot start any token")]),
    ("typo-key.yaml", [(3, "unknown key 'tittle' (did you mean 'title'?)")]),
    ("unknown-placeholder.yaml", [
        (11, "question 'wait': unknown placeholder {wait_minutes}"
             " (add it to 'fields' if the event has it)"),
    ]),
    ("unreachable.yaml", [(15, "question 'why' is never asked: its condition is never true")]),
    ("wrong-language-key.yaml", [
        (6, "missing the 'sv' text"),
        (7, "unsupported language 'se' (use sv, fi, en)"),
    ]),
    ("wrong-value.yaml", [(14, "question 'why': 'solved' is never 'ja' (it is one of yes, no)")]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), EXPECTED, ids=[name for name, _ in EXPECTED])
def test_broken_files_are_located(name: str, expected: list[tuple[int, str]]) -> None:
    path = BROKEN / name
    flow, findings = load_flow_file(path)
    assert flow is None
    assert [str(f) for f in findings] == [f"{path}:{line}: {message}" for line, message in expected]


def test_every_broken_file_is_in_the_table() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(n for n, _ in EXPECTED)


def test_findings_print_as_file_line_message() -> None:
    assert str(Finding("flows/visit.yaml", 14, "question 'ces': max (8) ...")) == (
        "flows/visit.yaml:14: question 'ces': max (8) ..."
    )
    assert str(Finding("flows/visit.yaml", 3, "opening ('fi') ...", "warning")) == (
        "flows/visit.yaml:3: warning: opening ('fi') ..."
    )


def test_a_valid_flow_with_anchors_loads_without_findings() -> None:
    flow, findings = load_flow_file(VALID / "clean.yaml")
    assert findings == []
    assert flow is not None
    assert flow.id == "library-visit"
    assert flow.triggers == ("library.visit", "library.loan_returned")
    assert flow.question("thanks").text == flow.closing  # via the &thanks anchor
    assert flow.question("why").when_source is not None
    assert flow.schedule.max_age_seconds == 12 * 3600


def test_warnings_name_language_segments_and_encoding() -> None:
    path = VALID / "warnings.yaml"
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
    flows, findings = load_flow_dir(SHIPPED)
    assert findings == []
    assert sorted(flows) == ["benefit-decision", "contact-centre", "health-visit"]
    for flow in flows.values():
        assert set(flow.languages) == {"sv", "fi", "en"}


def test_the_shipped_flows_name_their_questions_and_declare_resolution() -> None:
    """What report pages show: a label per question and language, the resolution question
    declared where a flow asks one (only contact-centre does), and values to try each with."""
    flows, _ = load_flow_dir(SHIPPED)
    for flow in flows.values():
        for q in flow.questions:
            assert q.label is not None and set(q.label.by_lang) == set(flow.languages), q.id
        assert {"unit", "service"} <= set(flow.example), flow.id
    resolution = {flow.id: q.id if (q := flow.resolution) else None for flow in flows.values()}
    assert resolution == {
        "benefit-decision": None,
        "contact-centre": "solved",
        "health-visit": None,  # its yes/no question is about waiting
    }


def test_tags_yaml_is_not_a_flow() -> None:
    names = [p.name for p in flow_files(SHIPPED)]
    assert "tags.yaml" not in names
    assert "health-visit.yaml" in names


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("", 1, "the file is empty: a flow starts with 'format: 1'"),
        ("# only a comment\n", 1, "the file is empty: a flow starts with 'format: 1'"),
        ("- a\n- b\n", 1, "a flow file must be a mapping (format, id, ...)"),
        ("just words\n", 1, "a flow file must be a mapping (format, id, ...)"),
        ("a: 1\n---\nb: 2\n", 2, "could not read YAML: expected a single document in the stream,"
         " but found another document"),
        ("a: &x 1\nb: *x\n<<: {c: 1}\n", 3, "merge keys (<<) are not supported"),
        ("a:\n  b: &x [1, *x]\n", 2, "an alias (*name) refers to the list or mapping it is in"),
        ("a: !include other.yaml\n", 1,
         "could not read YAML: could not determine a constructor for the tag '!include'"),
        ("a: !!omap [b: 1]\n", 1, "YAML tags such as tag:yaml.org,2002:omap are not supported"),
        ("? [a, b]\n: 1\n", 1, "a key must be a plain word, not a list or mapping"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", 1, "could not read YAML: it nests too deeply"),
    ],
    ids=["empty", "comment", "list", "scalar", "two documents", "merge", "recursive alias",
         "custom tag", "omap", "list key", "deep"],
)  # fmt: skip
def test_odd_files_give_one_clear_finding(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(content, encoding="utf-8")
    assert load_flow_file(path) == (None, [Finding(str(path), line, message)])


def test_aliases_that_expand_too_far_are_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    flow, findings = load_flow_file(path)
    assert flow is None
    assert [f.message for f in findings] == ["the file is too large once its aliases are expanded"]


def test_every_duplicate_key_is_reported_and_the_flow_is_not_loaded(tmp_path: Path) -> None:
    source = (VALID / "clean.yaml").read_text(encoding="utf-8")
    source = source.replace("expires_after: 2d\n", "expires_after: 2d\nexpires_after: 3d\n")
    source = source.replace("    retries: 0\n", "    retries: 0\n    retries: 1\n")
    path = tmp_path / "dup.yaml"
    path.write_text(source, encoding="utf-8")
    flow, findings = load_flow_file(path)
    assert flow is None
    assert [(f.line, f.message) for f in findings] == [
        (8, "duplicate key 'expires_after'"),
        (49, "duplicate key 'retries'"),
    ]


def test_dates_stay_text(tmp_path: Path) -> None:
    source = (VALID / "clean.yaml").read_text(encoding="utf-8")
    path = tmp_path / "date.yaml"
    path.write_text(source.replace("expires_after: 2d", "expires_after: 2026-12-01"))
    assert [str(f) for f in load_flow_file(path)[1]] == [
        f"{path}:7: expected a duration such as 30m, 48h or 7d, got '2026-12-01'"
    ]


def test_unreadable_files(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("format: 1\nid: vård\n".encode("latin-1"))
    assert load_flow_file(latin1)[1] == [
        Finding(str(latin1), 2, "not UTF-8 text (byte 15): save the file as UTF-8")
    ]
    missing = tmp_path / "none.yaml"
    assert load_flow_file(missing)[1] == [Finding(str(missing), 1, "no such file")]
    assert load_flow_file(tmp_path)[1] == [
        Finding(str(tmp_path), 1, "this is a folder, not a flow file")
    ]


def _copy(source: Path, target: Path, *replacements: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    return target


def test_two_files_with_one_id_or_one_trigger(tmp_path: Path) -> None:
    first = _copy(SHIPPED / "health-visit.yaml", tmp_path / "a.yaml")
    second = _copy(SHIPPED / "health-visit.yaml", tmp_path / "b.yaml")
    assert [str(f) for f in check_files([first, second])] == [
        f"{second}:4: flow id 'health-visit' is already used by {first}",
        f"{second}:7: event type 'visit.completed' already starts flow 'health-visit' ({first})",
    ]


def test_a_flow_dir_leaves_out_broken_and_clashing_flows(tmp_path: Path) -> None:
    _copy(SHIPPED / "health-visit.yaml", tmp_path / "a-visit.yaml")
    _copy(
        SHIPPED / "contact-centre.yaml",
        tmp_path / "b-contact.yml",
        ("triggers: [contact.closed]", "triggers: [contact.closed, visit.completed]"),
    )
    _copy(BROKEN / "typo-key.yaml", tmp_path / "c-typo.yaml")
    _copy(SHIPPED / "tags.yaml", tmp_path / "tags.yaml")
    flows, findings = load_flow_dir(tmp_path)
    assert sorted(flows) == ["health-visit"]
    assert [(Path(f.file).name, f.line, f.message) for f in findings] == [
        (
            "b-contact.yml",
            7,
            "event type 'visit.completed' already starts flow 'health-visit'"
            f" ({tmp_path / 'a-visit.yaml'})",
        ),
        ("c-typo.yaml", 3, "unknown key 'tittle' (did you mean 'title'?)"),
    ]


def test_a_missing_flow_dir(tmp_path: Path) -> None:
    assert load_flow_dir(tmp_path / "nowhere") == (
        {},
        [Finding(str(tmp_path / "nowhere"), 1, "no such folder of flows")],
    )


# --- what the gateway logs about the flows it loads ----------------------------------------


async def test_loading_logs_warnings_and_names_each_file_not_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    for source in (VALID / "clean.yaml", VALID / "warnings.yaml", BROKEN / "max-below-min.yaml"):
        shutil.copy(source, folder / source.name)
    config = load_config(
        environ={
            "SMSBOT_DATABASE__PATH": str(tmp_path / "smsbot.db"),
            "SMSBOT_FLOWS__DIR": str(folder),
            "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        },
        cwd=tmp_path,
    )
    with structlog.testing.capture_logs() as logged:
        parts = await open_parts(config)
    await parts.close()
    warned = str(folder / "warnings.yaml")
    broken = str(folder / "max-below-min.yaml")
    assert sorted(flow.id for flow in parts.catalog.flows()) == ["library-visit", "warned"]
    flow_lines = [line for line in logged if str(line["event"]).startswith("flow")]
    not_loaded = {
        "event": "flow_not_loaded",
        "log_level": "error",
        "file": broken,
        "problems": [f"{broken}:15: question 'ces': max (8) must be greater than min (9)"],
        "hint": f"fix it (smsbot flows check {broken}) and restart",
    }
    _, checked = load_flow_file(folder / "warnings.yaml")
    warnings = [(f.line, f.message) for f in checked]
    assert len(warnings) == 4 and {f.severity for f in checked} == {"warning"}
    assert flow_lines == [not_loaded] + [  # the files left out first, then the warnings
        {"event": "flow_warning", "log_level": "warning", "file": warned, "line": n, "problem": m}
        for n, m in warnings
    ]


def test_the_contact_centre_flow_marks_avoidable_demand() -> None:
    """Örebro's avoidable demand: questions the web, a clearer letter or a status update could
    have answered, and a citizen who looked on the web first and still had to ask."""
    flows, _ = load_flow_dir(SHIPPED)
    marked = {
        (flow.id, q.id, o.id)
        for flow in flows.values()
        for q in flow.questions
        for o in q.options
        if o.avoidable
    }
    assert marked == {
        ("contact-centre", "reason", "in_progress"),
        ("contact-centre", "reason", "information"),
        ("contact-centre", "reason", "unclear_letter"),
    }
    conditions = {flow.id: flow.avoidable_when_source for flow in flows.values()}
    assert conditions == {
        "benefit-decision": None,
        "contact-centre": "web_first == yes",
        "health-visit": None,
    }
