from __future__ import annotations

from pathlib import Path

import pytest

from smsbot.gateway.event_files import ERROR_KEY, EventFileError, read_event_rows, row_error

HEADER = (
    "id,type,phone,occurred_at,unit,service,channel,attributes.age_group,journey.id,journey.step"
)
ROW_1 = "a1,visit_done,070-174 06 42,2026-11-23T10:15:00+02:00,VC Kajaani,lab,visit,65+,apnea-1,2"
ROW_2 = "a2,visit_done,0701740643,2026-11-23T10:20:00+02:00,VC Kajaani,lab,,,,"

EVENT_1: dict[str, object] = {
    "id": "a1",
    "type": "visit_done",
    "phone": "070-174 06 42",
    "occurred_at": "2026-11-23T10:15:00+02:00",
    "unit": "VC Kajaani",
    "service": "lab",
    "channel": "visit",
    "attributes": {"age_group": "65+"},
    "journey": {"id": "apnea-1", "step": "2"},
}
EVENT_2: dict[str, object] = {
    "id": "a2",
    "type": "visit_done",
    "phone": "0701740643",
    "occurred_at": "2026-11-23T10:20:00+02:00",
    "unit": "VC Kajaani",
    "service": "lab",
}


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    return list(read_event_rows(path))


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (f"{HEADER}\n{ROW_1}\n{ROW_2}\n", "utf-8"),
        (f"{HEADER}\r\n{ROW_1}\r\n{ROW_2}\r\n", "utf-8-sig"),  # Excel: BOM and CRLF
        (f"{HEADER}\n{ROW_1}\n{ROW_2}".replace(",", ";"), "utf-8"),  # Nordic Excel
        (f"{HEADER}\n{ROW_1}\n{ROW_2}\n".replace(",", ";"), "utf-8-sig"),
    ],
    ids=["comma", "comma, BOM, CRLF", "semicolon", "semicolon, BOM"],
)
def test_csv(tmp_path: Path, text: str, encoding: str) -> None:
    path = write(tmp_path, "events.csv", text, encoding)
    assert rows(path) == [(2, EVENT_1), (3, EVENT_2)]


def test_csv_values_stay_strings_and_are_trimmed(tmp_path: Path) -> None:
    text = "id;unit;attributes.visits;attributes.zip\n 0042 ;Hälsocentral Ä;3; 01234\n"
    path = write(tmp_path, "events.CSV", text)
    assert rows(path) == [
        (2, {"id": "0042", "unit": "Hälsocentral Ä", "attributes": {"visits": "3", "zip": "01234"}})
    ]


def test_csv_quoted_cells_across_lines_and_blank_rows(tmp_path: Path) -> None:
    text = 'id;service\n\n"a;1";"two\nlines"\n;\nb;x\n'
    path = write(tmp_path, "events.csv", text)
    assert rows(path) == [
        (3, {"id": "a;1", "service": "two\nlines"}),
        (6, {"id": "b", "service": "x"}),
    ]


def test_csv_unknown_columns_are_passed_on(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", "id,colour,journey.extra\n1,red,x\n")
    assert rows(path) == [(2, {"id": "1", "colour": "red", "journey": {"extra": "x"}})]


def test_csv_row_errors(tmp_path: Path) -> None:
    text = "id,unit,\n1,a,,\n2,b,c,d\n3,c,x\n4,d\n"
    path = write(tmp_path, "events.csv", text)
    assert rows(path) == [
        (2, {"id": "1", "unit": "a"}),
        (3, {ERROR_KEY: "4 cells but the header names 3 columns"}),
        (4, {ERROR_KEY: "a value ('x') in a column without a name"}),
        (5, {"id": "4", "unit": "d"}),
    ]


def test_empty_csv(tmp_path: Path) -> None:
    assert rows(write(tmp_path, "events.csv", "")) == []
    assert rows(write(tmp_path, "header.csv", "id,unit\n")) == []


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("id,unit,id\n", "1: columns named twice: id"),
        (
            "id,attributes\n",
            "1: a column named 'attributes': use one column per key, 'attributes.<key>'",
        ),
    ],
)
def test_csv_bad_header(tmp_path: Path, header: str, message: str) -> None:
    path = write(tmp_path, "events.csv", header + "1,2\n")
    with pytest.raises(EventFileError) as caught:
        rows(path)
    assert str(caught.value) == f"{path}:{message}"  # file:line: message


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", "id;unit\n1;Vårdcentral\n", "cp1252")
    with pytest.raises(EventFileError) as caught:
        rows(path)
    assert str(caught.value) == f"{path}:2: not UTF-8 text (in Excel, save as 'CSV UTF-8')"


def test_jsonl(tmp_path: Path) -> None:
    lines = [
        '{"id": "a1", "attributes": {"visits": 3}}',
        "",
        '{"id": "a2", ',
        "[1, 2]",
        '{"id": "a3"}',
    ]
    path = write(tmp_path, "events.jsonl", "\n".join(lines) + "\n", "utf-8-sig")
    result = rows(path)
    broken = "not valid JSON: Expecting property name enclosed in double quotes (column 13)"
    assert result == [
        (1, {"id": "a1", "attributes": {"visits": 3}}),
        (3, {ERROR_KEY: broken}),
        (4, {ERROR_KEY: "expected a JSON object"}),
        (5, {"id": "a3"}),
    ]
    assert [row_error(row) for _, row in result] == [
        None,
        broken,
        "expected a JSON object",
        None,
    ]


def test_jsonl_bad_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_bytes(b'{"id": "1"}\n{"unit": "V\xe5rd"}\n')
    assert rows(path) == [(1, {"id": "1"}), (2, {ERROR_KEY: "not UTF-8 text"})]


def test_an_unknown_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "events.xlsx", "")
    with pytest.raises(EventFileError) as caught:
        rows(path)
    assert str(caught.value) == f"{path}: expected a .csv or .jsonl file"


def test_rows_are_streamed(tmp_path: Path) -> None:
    path = write(tmp_path, "events.jsonl", '{"id": "1"}\n{"id": "2"}\n')
    reader = read_event_rows(path)
    assert next(reader) == (1, {"id": "1"})
    path.write_text("")  # already open: the reader keeps its file
    assert next(reader) == (2, {"id": "2"})
