"""Per-question tallies, answer labels and paradata, without a database."""

from __future__ import annotations

import pytest

from questionnaires.definition import parse_definition
from survey_app.results.export import header
from survey_app.results.queries import answer_labels, paradata_of
from survey_app.results.summary import VERBATIMS, summarize_question


def tr(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh}


QUESTIONNAIRE = parse_definition(
    {
        "id": "unit",
        "title": "Unit",
        "languages": ["en", "zh-Hans"],
        "pages": [
            {
                "id": "p",
                "questions": [
                    {
                        "id": "effort",
                        "type": "rating",
                        "text": "Easy?",
                        "scale": {
                            "points": 3,
                            "start": 0,
                            "labels": {"0": tr("Hard", "难"), "2": tr("Easy", "易")},
                        },
                        "special": ["refused"],
                    },
                    {
                        "id": "grid",
                        "type": "matrix",
                        "text": "Which one?",
                        "items": [{"code": "a", "label": "Row A"}],
                        "options": [{"code": "x", "label": tr("Ex", "叉")}, {"code": "y", "label": "Why"}],
                    },
                    {"id": "band", "type": "calculate", "calculation": "'high'"},
                    {"id": "score", "type": "calculate", "calculation": "1"},
                    {"id": "age", "type": "numeric", "text": "Age?"},
                    {"id": "note", "type": "text", "text": "Note?"},
                    {"id": "ok", "type": "yes_no", "text": "OK?"},
                ],
            }
        ],
    }
)


def q(qid: str):
    return QUESTIONNAIRE.question(qid)


def test_rating_with_point_labels_specials_mean_and_top_box():
    s = summarize_question(q("effort"), [2, 0, 2, {"special": "refused"}], "zh-Hans", "en")
    assert [(b.label, b.count) for b in s.bars] == [("0 难", 1), ("1", 0), ("2 易", 2)]
    assert s.answered == 4
    assert s.bars[2].percent == 50.0
    assert [(b.label, b.count, b.percent) for b in s.specials] == [("Refused", 1, 25.0)]
    assert s.mean == pytest.approx(4 / 3)
    assert s.top_box == pytest.approx(200 / 3)
    assert s.nps is None


def test_matrix_with_option_columns_counts_each_row():
    s = summarize_question(q("grid"), [{"a": "x"}, {"a": "y"}, {"a": "x"}], "en", "en")
    (row,) = s.rows
    assert row.label == "Row A"
    assert [(b.label, b.count) for b in row.bars] == [("Ex", 2), ("Why", 1)]
    assert row.mean is None


def test_calculated_values_numbers_and_categories():
    categories = summarize_question(q("band"), ["high", "low", "high"], "en", "en")
    assert [(b.label, b.count) for b in categories.bars] == [("high", 2), ("low", 1)]
    numbers = summarize_question(q("score"), [1, 3], "en", "en")
    assert (numbers.mean, numbers.minimum, numbers.maximum) == (2.0, 1.0, 3.0)


def test_numeric_text_and_yes_no():
    age = summarize_question(q("age"), [20, 40, 60.5], "en", "en")
    assert (age.minimum, age.maximum) == (20.0, 60.5)
    note = summarize_question(q("note"), [f"n{i}" for i in range(9)], "en", "en")
    assert note.verbatims == [f"n{i}" for i in range(VERBATIMS)]
    assert note.answered == 9
    ok = summarize_question(q("ok"), [True, False, True], "en", "en")
    assert [(b.label, b.count) for b in ok.bars] == [("Yes", 2), ("No", 1)]


def test_no_answers_gives_an_empty_summary():
    s = summarize_question(q("effort"), [], "en", "en")
    assert s.answered == 0
    assert s.mean is None
    assert all(b.percent == 0 for b in s.bars)


def test_answer_labels_turn_codes_into_words():
    assert answer_labels(q("effort"), 2, "zh-Hans", "en") == ["2 (易)"]
    assert answer_labels(q("effort"), {"special": "refused"}, "en", "en") == ["Refused"]
    assert answer_labels(q("grid"), {"a": "x"}, "zh-Hans", "en") == ["Row A: 叉"]
    assert answer_labels(q("ok"), False, "en", "en") == ["No"]
    assert answer_labels(q("age"), 42, "en", "en") == ["42"]


def test_paradata_counts_events_and_time():
    state = {
        "format": 1,
        "questionnaire_id": "unit",
        "version": "1",
        "language": "en",
        "channel": "web",
        "seed": 1,
        "context": {},
        "answers": {},
        "specials": {},
        "other_texts": {},
        "cursor": 0,
        "history": [0, 1],
        "completed": True,
        "started_at": 100.0,
        "completed_at": 250.0,
        "events": [
            [110.0, "invalid", "a", "required"],
            [120.0, "back", None, None],
            [130.0, "changed", "a", "1"],
            [140.0, "language", None, "zh-Hans"],
        ],
    }
    p = paradata_of(state)
    assert (p.seconds, p.pages_submitted, p.invalid, p.back, p.changed, p.language_switches) == (
        150.0,
        2,
        1,
        1,
        1,
        1,
    )


def test_csv_variables_never_share_a_name_with_the_interview_columns():
    questionnaire = parse_definition(
        {
            "id": "clash",
            "title": "Clash",
            "pages": [
                {"id": "p", "questions": [{"id": "language", "type": "text", "text": "Which language?"}]}
            ],
        }
    )
    columns = header(questionnaire)
    assert columns.count("language") == 1
    assert columns[-1] == "q_language"
