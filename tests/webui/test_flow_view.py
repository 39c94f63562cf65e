"""The flows page's view of a flow: SMS rows per language, condition edges, the diagram."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from smsbot.engine.model import Flow
from smsbot.flows.files import Finding, load_flow_file
from smsbot.webui.flow_view import Edge, edges, flow_view

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def contact_centre() -> Flow:
    flow, findings = load_flow_file(ROOT / "flows" / "contact-centre.yaml")
    assert flow is not None, findings
    return flow


def test_every_question_reads_in_every_language_with_its_cost() -> None:
    flow = contact_centre()
    view = flow_view(flow, [])
    assert set(view.rows) == set(flow.languages)
    for lang, rows in view.rows.items():
        steps = [r.step for r in rows if r.what == "text"]
        assert steps == ["opening", *(q.id for q in flow.questions), "closing"], lang
        for row in rows:
            assert row.encoding in ("GSM-7", "UCS-2") and row.segments >= 1 and row.units > 0


def test_conditions_become_edges_from_the_questions_they_read() -> None:
    flow = contact_centre()
    conditional = [q for q in flow.questions if q.when is not None]
    assert conditional, "the shipped contact-centre flow has a conditional question"
    found = edges(flow)
    for question in conditional:
        read = {e.source for e in found if e.target == question.id}
        assert read and read <= {q.id for q in flow.questions} | {"event"}
        assert all(e.condition == question.when_source for e in found if e.target == question.id)


def test_the_diagram_is_an_accessible_svg_with_a_box_per_step() -> None:
    flow = contact_centre()
    svg = ET.fromstring(str(flow_view(flow, []).diagram))
    assert svg.get("role") == "img" and svg.get("aria-labelledby")
    labels = [t.text for t in svg.iter(SVG + "text")]
    for question in flow.questions:
        assert question.id in labels
    assert "Opening" in labels and "Closing" in labels
    conditions = [label for label in labels if label and label.startswith("when ")]
    assert len(conditions) == sum(1 for q in flow.questions if q.when is not None)
    desc = svg.find(SVG + "desc")
    assert desc is not None and desc.text and "when" in desc.text


def test_findings_are_counted_by_severity() -> None:
    flow = contact_centre()
    findings = [
        Finding("flows/x.yaml", 3, "a", "error"),
        Finding("flows/x.yaml", 9, "b", "warning"),
        Finding("flows/x.yaml", 12, "c", "warning"),
    ]
    view = flow_view(flow, findings)
    assert (view.errors, view.warnings) == (1, 2)


def test_an_edge_is_listed_once_even_when_a_name_is_read_twice() -> None:
    flow = contact_centre()
    found = edges(flow)
    assert len(found) == len(set(found))
    assert all(isinstance(e, Edge) for e in found)
