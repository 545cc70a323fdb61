"""Table-driven tests of the interview engine."""

from __future__ import annotations

import json

import pytest

from questionnaires import engine
from questionnaires.definition import Questionnaire, parse_definition
from questionnaires.state import InterviewState, InterviewStatus, Reply, aapor_code
from tests.questionnaires.sample_definitions import rich_document

T0 = 1_767_225_600.0


@pytest.fixture(scope="module")
def rich() -> Questionnaire:
    return parse_definition(rich_document())


def begin(q: Questionnaire, channel: str = "web", language: str = "en", seed: int = 7, **context: object):
    ctx = {"first_name": "Ann", "segment": "regular", **context}
    return engine.start(q, context=ctx, language=language, channel=channel, seed=seed, now=T0)


def ids(step) -> list[str]:
    return [v.id for v in step.questions]


def walk(q, state, *replies: dict, now: float = T0):
    for i, reply in enumerate(replies, 1):
        result = engine.answer(q, state, reply, now=now + i)
        assert result.accepted, result.errors
        state = result.state
    return state


def test_web_page_is_cut_where_a_condition_depends_on_the_same_page(rich):
    state = begin(rich)
    assert ids(engine.next_step(rich, state)) == ["intro", "sat"]
    state = walk(rich, state, {"sat": "2"})
    assert ids(engine.next_step(rich, state)) == ["why", "nps"]


def test_question_channels_get_one_question_per_step(rich):
    state = begin(rich, channel="sms")
    assert ids(engine.next_step(rich, state)) == ["intro"]
    state = walk(rich, state, {})
    assert ids(engine.next_step(rich, state)) == ["sat"]


def test_skip_logic_hides_follow_up_for_satisfied_respondents(rich):
    state = walk(rich, begin(rich), {"sat": "5"})
    assert ids(engine.next_step(rich, state)) == ["nps"]


def test_piping_of_contact_attributes_and_earlier_answers_in_the_interview_language(rich):
    state = begin(rich, language="zh-Hans")
    assert engine.next_step(rich, state).questions[0].text == "Ann，您好"
    state = walk(rich, state, {"sat": "1"}, {"why": ["quality", "price"], "nps": "3"})
    detail = engine.next_step(rich, state).questions[0]
    assert detail.id == "detail"
    assert detail.text == "您提到价格、质量，请详细说明。"


@pytest.mark.parametrize(
    ("reply", "code", "language", "message_part"),
    [
        ({"sat": "7"}, "out_of_scale", "en", "from 1 to 5"),
        ({"sat": "7"}, "out_of_scale", "zh-Hans", "1 到 5"),
        ({"sat": ""}, "required", "en", "Please answer"),
        ({"sat": "abc"}, "out_of_scale", "en", "from 1 to 5"),
        ({"sat": Reply(special="refused")}, "special_not_offered", "en", "not available"),
    ],
)
def test_invalid_first_page_answers_are_rejected_in_the_respondents_language(
    rich, reply, code, language, message_part
):
    state = begin(rich, language=language)
    result = engine.answer(rich, state, reply, now=T0 + 1)
    assert not result.accepted
    assert [(e.question, e.code) for e in result.errors] == [("sat", code)]
    assert message_part in result.errors[0].message
    assert result.state.cursor == state.cursor
    assert result.state.answers == state.answers
    assert result.state.events[-1].kind == "invalid"


@pytest.mark.parametrize(
    ("why", "code"),
    [
        (["none", "price"], "exclusive_option"),
        (["price", "quality", "staff", "wait"], "too_many_selected"),
        (["other"], "other_text_required"),
        (["bogus"], "invalid_option"),
    ],
)
def test_multiple_choice_rules(rich, why, code):
    state = walk(rich, begin(rich), {"sat": "2"})
    result = engine.answer(rich, state, {"why": why, "nps": "5"}, now=T0 + 5)
    assert code in [e.code for e in result.errors]


def test_other_please_specify_is_stored_with_its_text(rich):
    state = walk(
        rich, begin(rich), {"sat": "2"}, {"why": Reply(value=["other"], other_text=" Parking "), "nps": "4"}
    )
    assert state.answers["why"] == ("other",)
    assert state.other_texts["why"] == "Parking"
    assert engine.final_answers(rich, state)["why_other"] == "Parking"


def test_constraint_message_from_the_definition(rich):
    state = walk(rich, begin(rich), {"sat": "5"}, {"nps": "9"})
    result = engine.answer(rich, state, {"age": "50", "follow": "no"}, now=T0 + 9)
    assert [(e.question, e.message) for e in result.errors] == [("age", "Not fifty")]


@pytest.mark.parametrize(
    ("age", "code"),
    [("17", "below_min"), ("100", "above_max"), ("3.5", "not_whole_number"), ("x", "not_a_number")],
)
def test_numeric_rules(rich, age, code):
    state = walk(rich, begin(rich), {"sat": "5"}, {"nps": "9"})
    result = engine.answer(rich, state, {"age": age, "follow": "no"}, now=T0 + 9)
    assert [e.code for e in result.errors] == [code]


def test_full_width_digits_are_accepted(rich):
    state = walk(rich, begin(rich), {"sat": "５"})
    assert state.answers["sat"] == 5


def test_randomised_options_are_stable_per_seed_and_keep_anchors_last(rich):
    def order(seed: int) -> list[str]:
        state = walk(rich, begin(rich, seed=seed), {"sat": "1"})
        return [c.code for c in engine.next_step(rich, state).questions[0].choices]

    assert order(11) == order(11)
    orders = {tuple(order(seed)) for seed in range(12)}
    assert len(orders) > 1
    assert all(o[-1] == "none" for o in orders)


def test_back_prefills_and_a_changed_answer_clears_answers_it_hides(rich):
    state = walk(rich, begin(rich), {"sat": "2"}, {"why": ["price"], "nps": "6"})
    assert ids(engine.next_step(rich, state))[0] == "age"
    state = engine.back(rich, state, now=T0 + 20)
    step = engine.next_step(rich, state)
    assert ids(step) == ["why", "nps"]
    assert step.questions[0].current == ("price",)
    state = engine.back(rich, state, now=T0 + 21)
    assert ids(engine.next_step(rich, state)) == ["intro", "sat"]
    state = walk(rich, state, {"sat": "5"}, now=T0 + 22)
    assert "why" not in state.answers
    kinds = [(e.kind, e.question) for e in state.events]
    assert ("back", "why") in kinds
    assert ("changed", "sat") in kinds
    assert ("cleared", "why") in kinds
    assert ids(engine.next_step(rich, state)) == ["nps"]


def test_back_at_the_first_step_is_a_no_op(rich):
    state = begin(rich)
    assert engine.back(rich, state, now=T0 + 1) == state
    assert not engine.next_step(rich, state).can_go_back


def test_page_condition_on_contact_attribute(rich):
    final = [{"sat": "5"}, {"nps": "10"}, {"age": "30", "follow": "no"}]
    regular = walk(rich, begin(rich), *final)
    assert engine.next_step(rich, regular).done
    vip = walk(rich, begin(rich, segment="vip"), *final)
    assert ids(engine.next_step(rich, vip)) == ["grid"]
    result = engine.answer(rich, vip, {"grid": {"speed": "4"}}, now=T0 + 30)
    assert [e.code for e in result.errors] == ["required_all_items"]
    vip = walk(rich, vip, {"grid": {"speed": "4", "care": "5"}})
    assert vip.answers["grid"] == {"speed": 4, "care": 5}


def test_complete_flow_status_and_final_answers(rich):
    state = walk(
        rich, begin(rich), {"sat": "5"}, {"nps": "10"}, {"age": "30", "follow": "yes"}, {"when": "2026-02-01"}
    )
    assert engine.next_step(rich, state).done
    state = engine.complete(rich, state, now=T0 + 40)
    assert engine.interview_status(rich, state) is InterviewStatus.COMPLETE
    assert aapor_code(InterviewStatus.COMPLETE) == "1.1"
    answers = engine.final_answers(rich, state)
    assert answers == {"sat": 5, "nps": 10, "age": 30, "top_box": 1, "follow": True, "when": "2026-02-01"}
    assert engine.answer(rich, state, {}, now=T0 + 41).errors[0].code == "already_completed"


def test_complete_refuses_while_questions_remain(rich):
    state = walk(rich, begin(rich), {"sat": "5"})
    with pytest.raises(engine.InterviewNotFinished):
        engine.complete(rich, state, now=T0 + 9)


@pytest.mark.parametrize(
    ("replies", "threshold", "expected"),
    [
        ([], 0.5, InterviewStatus.NOT_STARTED),
        ([{"sat": "5"}], 0.5, InterviewStatus.BREAK_OFF),
        ([{"sat": "5"}], 0.2, InterviewStatus.PARTIAL),
        ([{"sat": "5"}, {"nps": "10"}, {"age": "30", "follow": "no"}], 0.5, InterviewStatus.PARTIAL),
    ],
)
def test_partial_versus_break_off(rich, replies, threshold, expected):
    state = walk(rich, begin(rich), *replies)
    assert engine.interview_status(rich, state, partial_threshold=threshold) is expected


def test_special_answers_count_as_answered_but_have_no_value(rich):
    state = walk(rich, begin(rich), {"sat": Reply(special="dont_know")})
    assert state.specials == {"sat": "dont_know"}
    # A comparison with an unknown value is false: the follow-up about disappointment is skipped.
    assert ids(engine.next_step(rich, state)) == ["nps"]


def test_alerts_fire_on_strong_dissatisfaction(rich):
    state = walk(rich, begin(rich), {"sat": "1"})
    assert engine.triggered_alerts(rich, state) == ["unhappy"]
    assert engine.triggered_alerts(rich, walk(rich, begin(rich), {"sat": "4"})) == []


def test_state_round_trips_through_json_and_resumes_at_the_same_step(rich):
    state = walk(rich, begin(rich), {"sat": "2"}, {"why": Reply(value=["other"], other_text="x"), "nps": "3"})
    restored = InterviewState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert engine.next_step(rich, restored) == engine.next_step(rich, state)


def test_paradata_records_shown_and_answered_times(rich):
    state = walk(rich, begin(rich), {"sat": "4"})
    events = [(e.kind, e.question, e.at) for e in state.events]
    assert ("shown", "sat", T0) in events
    assert ("answered", "sat", T0 + 1) in events
    assert ("shown", "nps", T0 + 1) in events


def test_step_key_changes_after_an_accepted_answer(rich):
    state = begin(rich)
    key = engine.next_step(rich, state).key
    state = walk(rich, state, {"sat": "3"})
    assert engine.next_step(rich, state).key != key


def test_language_switch_mid_interview(rich):
    state = engine.set_language(rich, begin(rich), "zh-Hans", now=T0 + 1)
    assert engine.next_step(rich, state).page_title == "关于您"
    assert engine.set_language(rich, state, "fr", now=T0 + 2) == state


def test_undeclared_start_language_falls_back_to_default(rich):
    assert begin(rich, language="de").language == "en"


def test_computed_values_can_be_piped_into_later_texts():
    q = parse_definition(
        {
            "id": "calc_pipe",
            "title": "t",
            "pages": [
                {"id": "p1", "questions": [{"id": "n", "type": "numeric", "text": "n"}]},
                {
                    "id": "p2",
                    "questions": [
                        {"id": "double", "type": "calculate", "calculation": "n * 2"},
                        {"id": "echo", "type": "info", "text": "Twice is {answer:double}"},
                    ],
                },
            ],
        }
    )
    state = engine.start(q, context={}, language="en", channel="sms", seed=1, now=T0)
    state = walk(q, state, {"n": "21"})
    assert engine.next_step(q, state).questions[0].text == "Twice is 42"
