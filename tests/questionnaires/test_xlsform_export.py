"""Exporting questionnaires to XLSForm: pyxform converts the workbook, and importing it gives the
questionnaire back."""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform import xls2xform

from questionnaires.definition import Questionnaire, parse_definition
from questionnaires.documents import load_questionnaire
from questionnaires.validation import validate
from questionnaires.xlsform import export_xlsform, import_xlsform
from tests.questionnaires.sample_definitions import rich_document, tr

LIBRARY = Path(__file__).resolve().parents[2] / "questionnaires" / "library"


def richer_document() -> dict[str, Any]:
    """The engine's rich sample plus every feature the exporter has to express."""
    document = rich_document()
    document.update(
        {
            "description": tr("All features", "全部功能"),
            "intro": tr("Hello, this is a test.", "您好，这是测试。"),
            "thank_you": tr("Thank you!", "谢谢！"),
            "stakeholder_group": "supplier",
        }
    )
    document["pages"].append(
        {
            "id": "p4",
            "title": tr("More", "更多"),
            "questions": [
                {
                    "id": "channel",
                    "type": "single_choice",
                    "text": tr("Which channel?", "哪个渠道？"),
                    "options": [
                        {"code": "1", "label": tr("Web", "网站")},
                        {"code": "2", "label": tr("Phone", "电话")},
                        {"code": "3", "label": tr("Shop", "门店"), "fixed": True},
                    ],
                    "special": [{"kind": "refused", "channels": ["agent", "ivr"]}],
                    "other": {
                        "code": "96",
                        "label": tr("Other", "其他"),
                        "text_required": False,
                        "max_length": 80,
                    },
                    "randomize": True,
                    "tags": ["channel"],
                },
                {
                    "id": "effort",
                    "type": "rating",
                    "required": True,
                    "show_if": "channel in ['1', '2'] and grid.speed >= 4",
                    "text": tr("How easy was it?", "容易吗？"),
                    "scale": {
                        "points": 7,
                        "start": 0,
                        "labels": {"0": tr("Very hard", "很难"), "6": tr("Very easy", "很容易")},
                    },
                    "special": ["dont_know", "refused"],
                    "variants": {
                        "sms": {"text": tr("Ease 0-6?", "难易度0-6？")},
                        "ivr": {"prompt": tr("Press 0 to 6.", "请按0到6。"), "speech": True},
                        "agent": {
                            "instructions": tr("Read the ends “0” and “6”.", "读出两端。"),
                            "read_options": False,
                        },
                    },
                },
                {
                    "id": "spend",
                    "type": "numeric",
                    "decimals": 1,
                    "min": 0,
                    "max": 9999.5,
                    "text": tr("How much did you spend?", "花了多少？"),
                    "special": ["dont_know"],
                    "constraint": "value != 13",
                    "constraint_message": tr("Not 13", "不能是13"),
                },
                {
                    "id": "code",
                    "type": "text",
                    "min_length": 3,
                    "max_length": 12,
                    "pattern": "^[A-Z]+\\d*$",
                    "pattern_message": tr("Capitals then digits", "大写字母加数字"),
                    "text": tr("Your code, {first_name}?", "您的代码？"),
                    "help": tr("As printed on the card", "卡上印的"),
                },
                {
                    "id": "visits",
                    "type": "multiple_choice",
                    "min_selected": 1,
                    "max_selected": 2,
                    "text": tr("Which days?", "哪几天？"),
                    "options": [
                        {"code": "mon", "label": tr("Monday", "周一")},
                        {"code": "tue", "label": tr("Tuesday", "周二")},
                        {"code": "never", "label": tr("Never", "从不"), "exclusive": True, "fixed": True},
                    ],
                },
                {
                    "id": "last_visit",
                    "type": "date",
                    "max_date": "today",
                    "min_date": "2000-01-01",
                    "show_if": "not selected(visits, 'never') and answered(visits)",
                    "text": tr("Last visit?", "上次访问？"),
                },
                {
                    "id": "ratings",
                    "type": "matrix",
                    "text": tr("Rate each area", "请为每个方面选择"),
                    "help": tr("One answer per row", "每行一个答案"),
                    "items": [
                        {"code": "food", "label": tr("Food", "食物")},
                        {"code": "drink", "label": tr("Drinks", "饮料")},
                    ],
                    "options": [
                        {"code": "good", "label": tr("Good", "好")},
                        {"code": "bad", "label": tr("Bad", "差")},
                    ],
                    "show_if": "follow = false or year(when) >= 2024",
                },
                {
                    "id": "score",
                    "type": "calculate",
                    "calculation": "if(nps >= 9, 100, if(nps <= 6, -100, 0)) + count_selected(visits)",
                    "tags": ["nps_points"],
                },
                {"id": "bye", "type": "info", "text": tr("Bye {first_name}, score {answer:effort}", "再见")},
            ],
        }
    )
    document["alerts"].append(
        {"id": "low_effort", "when": "effort <= 1", "message": tr("Hard to use", "难用")}
    )
    return document


def _convert(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "form.xlsx"
    path.write_bytes(data)
    result = xls2xform.convert(xlsform=str(path), validate=False)
    return str(result.xform)


def _canonical(questionnaire: Questionnaire) -> str:
    text = json.dumps(questionnaire.to_document(), ensure_ascii=False, sort_keys=True, indent=1)
    # pyxform turns typographic quotes into straight ones when it reads a workbook.
    for smart, plain in (("\u201c", '\\"'), ("\u201d", '\\"'), ("\u2018", "'"), ("\u2019", "'")):
        text = text.replace(smart, plain)
    # {contact.x} and {x} are the same placeholder; the import writes the short form.
    return re.sub(r"\{contact\.([A-Za-z_][A-Za-z0-9_]*)\}", r"{\1}", text)


def _round_trip(questionnaire: Questionnaire) -> Questionnaire:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = import_xlsform(export_xlsform(questionnaire))
    assert not result.issues, [str(i) for i in result.issues]
    assert result.counts["reported"] == 0
    return parse_definition(result.document)


@pytest.fixture(scope="module")
def richer() -> Questionnaire:
    questionnaire = parse_definition(richer_document())
    assert not [p for p in validate(questionnaire) if p.severity == "error"], validate(questionnaire)
    return questionnaire


def test_export_converts_with_pyxform(richer: Questionnaire, tmp_path: Path) -> None:
    xform = _convert(export_xlsform(richer), tmp_path)
    assert "<h:title>Rich test</h:title>" in xform
    assert 'jr:constraintMsg="jr:itext(' in xform or "constraintMsg" in xform
    assert "count-selected(" in xform
    assert "selected(" in xform


def test_export_sheets_and_columns(richer: Questionnaire) -> None:
    book = openpyxl.load_workbook(io.BytesIO(export_xlsform(richer)))
    assert book.sheetnames == ["survey", "choices", "settings"]
    survey = list(book["survey"].iter_rows(values_only=True))
    header = list(survey[0])
    assert "label::English (en)" in header
    assert "label::Simplified Chinese (zh-Hans)" in header
    rows = {row[header.index("name")]: dict(zip(header, row, strict=False)) for row in survey[1:]}
    assert rows["p1"]["type"] == "begin_group"
    assert rows["p1"]["appearance"] == "field-list"
    assert rows["p3"]["relevant"] == "${contact_segment} = 'vip'"
    assert rows["contact_segment"]["type"] == "calculate"
    assert rows["why"]["type"] == "select_multiple why"
    assert rows["why"]["relevant"] == "${sat} <= 3"
    assert (
        rows["why"]["constraint"]
        == "count-selected(.) <= 3 and not(selected(., 'none') and count-selected(.) > 1)"
    )
    assert rows["why"]["parameters"] == "randomize=true"
    assert rows["why_other"]["type"] == "text"
    assert rows["why_other"]["relevant"] == "selected(${why}, 'other')"
    assert rows["detail"]["relevant"] == "selected(${why}, 'quality')"
    assert rows["detail"]["label::English (en)"] == "You said ${why}. Tell us more."
    assert rows["age"]["type"] == "integer"
    assert rows["age"]["constraint"] == ". != 50 and . >= 18 and . <= 99"
    assert rows["sat"]["type"] == "select_one sat"
    assert rows["nps"]["type"] == "select_one nps"
    assert rows["follow"]["type"] == "select_one yes_no"
    assert rows["when"]["relevant"] == "${follow} = 'yes'"
    assert rows["when"]["type"] == "date"
    assert rows["top_box"]["calculation"] == "if(${sat} = 5, 1, 0)"
    assert rows["intro"]["type"] == "note"
    assert rows["grid"]["type"] == "begin_group"
    assert rows["grid"]["appearance"] == "table-list"
    assert rows["grid_speed"]["type"] == rows["grid_care"]["type"] == "select_one grid"
    assert rows["spend"]["type"] == "decimal"
    assert (
        rows["code"]["constraint"]
        == "string-length(.) >= 3 and string-length(.) <= 12 and regex(., '^[A-Z]+\\d*$')"
    )
    assert rows["effort"]["relevant"] == "((${channel} = '1') or (${channel} = '2')) and ${grid_speed} >= 4"
    assert rows["ratings"]["relevant"] == "${follow} = 'no' or int(format-date(${when}, '%Y')) >= 2024"
    choices = list(book["choices"].iter_rows(values_only=True))
    nps_codes = [row[1] for row in choices if row[0] == "nps"]
    assert nps_codes == [str(n) for n in range(11)]
    sat_codes = [row[1] for row in choices if row[0] == "sat"]
    assert sat_codes == ["1", "2", "3", "4", "5", "dont_know"]
    effort_codes = [row[1] for row in choices if row[0] == "effort"]
    assert effort_codes == ["0", "1", "2", "3", "4", "5", "6", "dont_know", "refused"]
    settings = list(book["settings"].iter_rows(values_only=True))
    assert settings[1][:4] == ("Rich test", "rich", "3", "English (en)")


def test_import_of_export_gives_the_questionnaire_back(richer: Questionnaire) -> None:
    back = _round_trip(richer)
    assert _canonical(back) == _canonical(richer)
    assert [q.id for q in back.questions()] == [q.id for q in richer.questions()]
    assert [q.type for q in back.questions()] == [q.type for q in richer.questions()]
    assert back.languages == richer.languages


EDGE_CASES: list[dict[str, Any]] = [
    {
        "id": "plain",
        "title": "Plain",
        "languages": ["fr"],
        "pages": [
            {
                "id": "only",  # a page named like a question is renamed in the workbook
                "questions": [
                    {"id": "only", "type": "yes_no", "text": {"fr": "D'accord ?"}, "special": ["dont_know"]},
                    {
                        "id": "why",
                        "type": "long_text",
                        "text": {"fr": "Pourquoi ?"},
                        "show_if": "only = false",
                    },
                ],
            }
        ],
    },
    {
        "id": "neutral",
        "title": {"en": "Neutral texts", "zh-Hant": "中性"},
        "languages": ["en", "zh-Hant"],
        "pages": [
            {"id": "empty"},
            {
                "id": "p",
                "title": "ACME",
                "questions": [
                    {"id": "untitled", "type": "text"},
                    {
                        "id": "brand",
                        "type": "single_choice",
                        "text": "ACME?",
                        "options": [{"code": "a", "label": "ACME"}],
                    },
                    {
                        "id": "grid",
                        "type": "matrix",
                        "text": {"en": "Grid", "zh-Hant": "表"},
                        "items": [
                            {"code": "x_y", "label": "X"},
                            {"code": "1", "label": {"en": "One", "zh-Hant": "一"}},
                        ],
                    },
                    {
                        "id": "after",
                        "type": "numeric",
                        "text": {"en": "After", "zh-Hant": "之後"},
                        "show_if": "grid.x_y >= 3 or grid.1 = 2",
                        "min": 1.5,
                        "special": ["refused"],
                    },
                    {"id": "calc", "type": "calculate", "calculation": "after * 2", "text": "double"},
                ],
            },
        ],
    },
]


@pytest.mark.parametrize("document", EDGE_CASES, ids=[d["id"] for d in EDGE_CASES])
def test_edge_cases_round_trip(document: dict[str, Any], tmp_path: Path) -> None:
    questionnaire = parse_definition(document)
    _convert(export_xlsform(questionnaire), tmp_path)
    assert _round_trip(questionnaire).to_document() == questionnaire.to_document()


LIBRARY_FILES = sorted(LIBRARY.glob("*.yaml")) if LIBRARY.is_dir() else []


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=[p.stem for p in LIBRARY_FILES])
def test_library_questionnaires_round_trip(path: Path, tmp_path: Path) -> None:
    questionnaire = load_questionnaire(path)
    data = export_xlsform(questionnaire)
    _convert(data, tmp_path)
    assert _canonical(_round_trip(questionnaire)) == _canonical(questionnaire)
