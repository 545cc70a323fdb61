"""``survey questionnaire validate | convert | walk``: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from questionnaires.cli import questionnaire_cli
from questionnaires.documents import load_document

LIBRARY = Path(__file__).resolve().parents[2] / "questionnaires" / "library"
REAL_XLSFORM = (
    Path(__file__).resolve().parents[3] / "shared" / "xlsforms" / "mali_health_facilities_en_fr.xlsx"
)


def run(*args: str):
    return CliRunner().invoke(questionnaire_cli, list(args))


def test_validate_valid_files_exit_zero():
    result = run("validate", str(LIBRARY / "supplier.yaml"), str(LIBRARY / "regulator.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output.count(": valid") == 2


def test_validate_reports_every_problem_with_its_path_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\ntitle: t\npages:\n  - id: p\n    questions:\n"
        "      - {id: a, type: rating, show_if: 'b > 1'}\n"
        "      - {id: b, type: nps, constraint: 'value >'}\n"
        "      - {id: a, type: single_choice}\n",
        encoding="utf-8",
    )
    result = run("validate", str(bad))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert any(
        "pages[0].questions[0].show_if: refers to question 'b', which comes later" in line for line in lines
    )
    assert any("pages[0].questions[1].constraint: syntax error" in line for line in lines)
    assert any("pages[0].questions[2].id: duplicate question id 'a'" in line for line in lines)
    assert any("pages[0].questions[2].options" in line for line in lines)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("id: [unclosed\n", "invalid YAML at line"),
        ("- just a list\n", "must be a mapping"),
    ],
)
def test_validate_unreadable_documents_say_what_is_wrong(tmp_path, content, expected):
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert expected in result.output


def test_validate_unknown_extension(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("x", encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert "unknown file type '.txt'" in result.output


@pytest.mark.parametrize("chain", [("json", "yaml"), ("xlsx", "yaml"), ("yaml", "json")])
def test_convert_round_trips_through_every_format(tmp_path, chain):
    source = LIBRARY / "touchpoint_event.yaml"
    first = tmp_path / f"first.{chain[0]}"
    second = tmp_path / f"second.{chain[1]}"
    assert run("convert", str(source), str(first)).exit_code == 0
    result = run("convert", str(first), str(second))
    assert result.exit_code == 0, result.output
    original = load_document(source)
    converted = load_document(second)
    assert [q["id"] for p in converted["pages"] for q in p["questions"]] == [
        q["id"] for p in original["pages"] for q in p["questions"]
    ]


def test_convert_a_real_xlsform_reports_what_it_could_not_carry(tmp_path):
    target = tmp_path / "mali.yaml"
    result = run("convert", str(REAL_XLSFORM), str(target))
    assert result.exit_code == 0, result.output
    assert "import: row" in result.output  # the GPS field is reported with its row
    assert load_document(target)["pages"]


def test_walk_prints_the_path_the_engine_takes_in_chinese(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"tp_case_sat": "1", "tp_case_resolved": "no"}), encoding="utf-8")
    contact = tmp_path / "contact.json"
    contact.write_text(
        json.dumps({"first_name": "李", "event_type": "support_case_closed", "case_id": "C-7"}),
        encoding="utf-8",
    )
    result = run(
        "walk",
        str(LIBRARY / "touchpoint_event.yaml"),
        "--answers",
        str(answers),
        "--contact",
        str(contact),
        "--lang",
        "zh-Hans",
    )
    assert "tp_case_sat" in result.output
    # Either it completes, or it stops at the first question the answers file does not cover.
    assert ("done:" in result.output) or ("stopped:" in result.output and result.exit_code == 2)
