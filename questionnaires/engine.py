"""The interview engine: the one place where skip logic and answer validation run.

Every channel (web page, SMS conversation, IVR call, agent script) drives an interview with the
same pure functions over an immutable :class:`~questionnaires.state.InterviewState`::

    state = start(q, context={"first_name": "Li"}, language="zh-Hans", channel="web", seed=42, now=t0)
    step = next_step(q, state)                 # questions to present, or done
    result = answer(q, state, {"q1": "5"}, now=t1)
    state = result.state                       # or show result.errors and ask again
    state = back(q, state, now=t2)
    state = complete(q, state, now=t3)         # once next_step(...).done

Same definition, context, seed and replies give the same path. Page-based channels (``web``) get
a page of questions per step; the other channels one question at a time. A page is cut short where
a question's condition depends on an answer given on the same page, since a page without
JavaScript cannot react to it; the rest of the page follows as the next step.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from questionnaires import logic
from questionnaires.answers import Parsed, parse_reply
from questionnaires.definition import NON_ANSWERED_TYPES, Questionnaire, localize
from questionnaires.messages import message
from questionnaires.plan import AnswerEnv, Plan, plan_for
from questionnaires.render import Renderer
from questionnaires.state import (
    AnswerError,
    AnswerResult,
    Event,
    InterviewState,
    InterviewStatus,
    Reply,
    Step,
)

PAGE_CHANNELS = frozenset({"web"})
DEFAULT_PARTIAL_THRESHOLD = 0.5


class InterviewNotFinished(ValueError):
    """``complete`` was called while questions remain on the respondent's path."""


def _today(now: float) -> dt.date:
    return dt.datetime.fromtimestamp(now, dt.UTC).date()


def _env(
    plan: Plan, state: InterviewState, now: float, answers: Mapping[str, Any] | None = None
) -> AnswerEnv:
    return AnswerEnv(
        plan,
        state.answers if answers is None else answers,
        state.specials,
        state.context,
        _today(now),
    )


def start(
    questionnaire: Questionnaire,
    *,
    context: Mapping[str, Any],
    language: str,
    channel: str,
    seed: int,
    now: float,
) -> InterviewState:
    """Begin an interview. ``context`` holds contact attributes for conditions and piping.

    A language the questionnaire does not declare falls back to its default language.
    """
    plan_for(questionnaire)
    if language not in questionnaire.languages:
        language = questionnaire.default_language
    state = InterviewState(
        questionnaire_id=questionnaire.id,
        version=questionnaire.version,
        language=language,
        channel=channel,
        seed=seed,
        context=dict(context),
        started_at=now,
    ).with_changes(context=context)
    return _mark_shown(questionnaire, state, now)


def _step_indices(plan: Plan, state: InterviewState, env: AnswerEnv) -> list[int]:
    items = plan.items
    index = state.cursor
    while index < len(items) and not (items[index].askable and env.visible(items[index])):
        index += 1
    if index >= len(items):
        return []
    group = [index]
    if state.channel not in PAGE_CHANNELS:
        return group
    page = items[index].page_index
    on_step = {items[index].question.id}
    for item in items[index + 1 :]:
        if item.page_index != page:
            break
        if item.condition_refs & on_step:
            if item.askable:
                break
            on_step.add(item.question.id)  # a computed value that depends on this page
            continue
        if item.askable and env.visible(item):
            group.append(item.index)
            on_step.add(item.question.id)
    return group


def next_step(questionnaire: Questionnaire, state: InterviewState, *, now: float | None = None) -> Step:
    """Return what to present next: the questions of the current step, or ``done``."""
    plan = plan_for(questionnaire)
    renderer = Renderer(questionnaire, state)
    if state.completed:
        return Step(done=True, progress=1.0, key="done", thank_you=renderer.text(questionnaire.thank_you))
    env = _env(plan, state, state.started_at if now is None else now)
    indices = _step_indices(plan, state, env)
    if not indices:
        return Step(
            done=True,
            progress=1.0,
            can_go_back=bool(state.history),
            key=f"{len(plan.items)}:done",
            thank_you=renderer.text(questionnaire.thank_you),
        )
    first = plan.items[indices[0]]
    views = tuple(renderer.view(plan.items[i].question) for i in indices)
    total = max(plan.askable_total, 1)
    return Step(
        done=False,
        questions=views,
        page_id=first.page.id,
        page_title=renderer.text(first.page.title),
        progress=plan.askable_before[indices[0]] / total,
        can_go_back=bool(state.history),
        key=f"{indices[0]}:{','.join(v.id for v in views)}",
    )


def _as_reply(raw: object) -> Reply:
    return raw if isinstance(raw, Reply) else Reply(value=raw)  # type: ignore[arg-type]


def _check(
    questionnaire: Questionnaire, plan: Plan, state: InterviewState, index: int, reply: Reply, now: float
) -> Parsed | list[AnswerError]:
    item = plan.items[index]
    question = item.question
    language = state.language
    parsed = parse_reply(question, reply, state.channel, language, _today(now))
    if isinstance(parsed, list):
        return [AnswerError(question.id, p.code, message(p.code, language, **p.params)) for p in parsed]
    if item.constraint is not None and parsed.value is not None:
        env = _env(plan, state, now).with_value(parsed.value)
        if not logic.truthy(item.constraint(env)):
            text = (
                localize(question.constraint_message, language, questionnaire.default_language)
                if question.constraint_message
                else message("constraint_failed", language)
            )
            return [AnswerError(question.id, "constraint_failed", text)]
    return parsed


def answer(
    questionnaire: Questionnaire, state: InterviewState, replies: Mapping[str, object], *, now: float
) -> AnswerResult:
    """Apply the replies to the current step's questions.

    ``replies`` maps question ids to a :class:`Reply` or a raw value (text, list of codes, mapping
    for a matrix). All questions of the step are checked together; on any error nothing is stored
    and the errors come back in the interview language. On success the answers are stored, answers
    to questions that the new answers hide are cleared, and the cursor moves past the step.
    """
    plan = plan_for(questionnaire)
    if state.completed:
        return AnswerResult(
            state, (AnswerError("", "already_completed", message("already_completed", state.language)),)
        )
    indices = _step_indices(plan, state, _env(plan, state, now))
    if not indices:
        return AnswerResult(
            state, (AnswerError("", "not_on_this_step", message("not_on_this_step", state.language)),)
        )
    errors: list[AnswerError] = []
    accepted: dict[str, Parsed] = {}
    for index in indices:
        question = plan.items[index].question
        if question.type in NON_ANSWERED_TYPES:
            continue
        checked = _check(questionnaire, plan, state, index, _as_reply(replies.get(question.id)), now)
        if isinstance(checked, list):
            errors.extend(checked)
        else:
            accepted[question.id] = checked
    if errors:
        invalid = tuple(Event(now, "invalid", e.question, e.code) for e in errors)
        return AnswerResult(state.with_changes(events=state.events + invalid), tuple(errors))
    new_state = _store(state, accepted, now).with_changes(
        cursor=indices[-1] + 1, history=(*state.history, state.cursor)
    )
    new_state = _clear_hidden(plan, new_state, now)
    return AnswerResult(_mark_shown(questionnaire, new_state, now))


def _store(state: InterviewState, accepted: Mapping[str, Parsed], now: float) -> InterviewState:
    answers, specials, others = dict(state.answers), dict(state.specials), dict(state.other_texts)
    events = list(state.events)
    for qid, parsed in accepted.items():
        before = (answers.get(qid), specials.get(qid), others.get(qid))
        answers.pop(qid, None)
        specials.pop(qid, None)
        others.pop(qid, None)
        if parsed.special is not None:
            specials[qid] = parsed.special
        elif not parsed.empty:
            answers[qid] = parsed.value
            if parsed.other_text:
                others[qid] = parsed.other_text
        after = (answers.get(qid), specials.get(qid), others.get(qid))
        if before == (None, None, None):
            events.append(Event(now, "answered", qid))
        elif before != after:
            events.append(
                Event(
                    now, "changed", qid, json.dumps(_jsonable(before[0] if before[1] is None else before[1]))
                )
            )
    return state.with_changes(answers=answers, specials=specials, other_texts=others, events=tuple(events))


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _clear_hidden(plan: Plan, state: InterviewState, now: float) -> InterviewState:
    """Drop answers to questions that the current answers hide (after a back-step and a change)."""
    # Conditions only use earlier answers, so a change can hide only questions after the step;
    # walking forward for the first time, none of those has an answer yet.
    if not any(plan.by_id[qid].index >= state.cursor for qid in (*state.answers, *state.specials)):
        return state
    answers, specials, others = dict(state.answers), dict(state.specials), dict(state.other_texts)
    env = AnswerEnv(plan, answers, specials, state.context, _today(now))
    cleared: list[Event] = []
    for item in plan.items:
        qid = item.question.id
        if (qid in answers or qid in specials) and not env.visible(item):
            answers.pop(qid, None)
            specials.pop(qid, None)
            others.pop(qid, None)
            cleared.append(Event(now, "cleared", qid))
    if not cleared:
        return state
    return state.with_changes(
        answers=answers, specials=specials, other_texts=others, events=state.events + tuple(cleared)
    )


def _mark_shown(questionnaire: Questionnaire, state: InterviewState, now: float) -> InterviewState:
    plan = plan_for(questionnaire)
    if state.completed:
        return state
    indices = _step_indices(plan, state, _env(plan, state, now))
    if not indices:
        return state
    shown = tuple(Event(now, "shown", plan.items[i].question.id) for i in indices)
    return state.with_changes(events=state.events + shown)


def back(questionnaire: Questionnaire, state: InterviewState, *, now: float) -> InterviewState:
    """Return to the previous step, keeping its answers to prefill; no-op at the first step."""
    if state.completed or not state.history:
        return state
    returned_to = state.history[-1]
    item = plan_for(questionnaire).items[returned_to]
    moved = state.with_changes(
        cursor=returned_to,
        history=state.history[:-1],
        events=(*state.events, Event(now, "back", item.question.id)),
    )
    return _mark_shown(questionnaire, moved, now)


def set_language(
    questionnaire: Questionnaire, state: InterviewState, language: str, *, now: float
) -> InterviewState:
    """Switch the interview language mid-way (web language switch, agent changing language on a call)."""
    if language not in questionnaire.languages or language == state.language:
        return state
    return state.with_changes(
        language=language, events=(*state.events, Event(now, "language", None, language))
    )


def set_channel(state: InterviewState, channel: str, *, now: float) -> InterviewState:
    """Record that the interview continues on another channel (an SMS respondent opening the web link)."""
    if channel == state.channel:
        return state
    return state.with_changes(channel=channel, events=(*state.events, Event(now, "channel", None, channel)))


def complete(questionnaire: Questionnaire, state: InterviewState, *, now: float) -> InterviewState:
    """Mark the interview complete; raise InterviewNotFinished if questions remain on its path."""
    if state.completed:
        return state
    if not next_step(questionnaire, state, now=now).done:
        raise InterviewNotFinished("questions remain on the respondent's path")
    missing = unanswered_required(questionnaire, state, now=now)
    if missing:
        raise InterviewNotFinished(f"required questions unanswered: {', '.join(missing)}")
    return state.with_changes(
        completed=True, completed_at=now, events=(*state.events, Event(now, "completed"))
    )


def on_path(questionnaire: Questionnaire, state: InterviewState, *, now: float | None = None) -> list[str]:
    """Return the ids of answerable questions whose conditions hold given the answers so far."""
    plan = plan_for(questionnaire)
    env = _env(plan, state, state.started_at if now is None else now)
    return [
        item.question.id
        for item in plan.items
        if item.question.type not in NON_ANSWERED_TYPES and env.visible(item)
    ]


def unanswered_required(
    questionnaire: Questionnaire, state: InterviewState, *, now: float | None = None
) -> list[str]:
    """Return required questions on the path that have no answer."""
    plan = plan_for(questionnaire)
    return [
        qid
        for qid in on_path(questionnaire, state, now=now)
        if plan.by_id[qid].question.required and not state.is_answered(qid)
    ]


def interview_status(
    questionnaire: Questionnaire,
    state: InterviewState,
    *,
    partial_threshold: float = DEFAULT_PARTIAL_THRESHOLD,
) -> InterviewStatus:
    """Classify the interview for AAPOR: complete (1.1), partial (1.2), break-off (2.12) or not started.

    Partial means at least ``partial_threshold`` of the answerable questions on the path were
    answered; below that an unfinished interview is a break-off.
    """
    if state.completed:
        return InterviewStatus.COMPLETE
    path = on_path(questionnaire, state)
    answered = sum(1 for qid in path if state.is_answered(qid))
    if answered == 0:
        return InterviewStatus.NOT_STARTED
    if answered / max(len(path), 1) >= partial_threshold:
        return InterviewStatus.PARTIAL
    return InterviewStatus.BREAK_OFF


def intro_text(questionnaire: Questionnaire, state: InterviewState) -> str:
    """Return the introduction and consent text, localised and piped, for agents and the IVR."""
    return Renderer(questionnaire, state).text(questionnaire.intro)


def alert_messages(questionnaire: Questionnaire, state: InterviewState) -> list[tuple[str, str]]:
    """Return ``(alert id, message in the interview language)`` for every alert that holds."""
    renderer = Renderer(questionnaire, state)
    texts = {alert.id: alert.message for alert in questionnaire.alerts}
    return [(alert_id, renderer.text(texts[alert_id])) for alert_id in triggered_alerts(questionnaire, state)]


def triggered_alerts(questionnaire: Questionnaire, state: InterviewState) -> list[str]:
    """Return the ids of the questionnaire's alerts (e.g. strong dissatisfaction) that now hold."""
    plan = plan_for(questionnaire)
    env = _env(plan, state, state.started_at)
    return [alert_id for alert_id, when in plan.alerts if logic.truthy(when(env))]


def final_answers(questionnaire: Questionnaire, state: InterviewState) -> dict[str, Any]:
    """Return the answers on the path plus computed values, as stored for analysis."""
    plan = plan_for(questionnaire)
    env = _env(plan, state, state.completed_at or state.started_at)
    result: dict[str, Any] = {}
    for item in plan.items:
        qid = item.question.id
        if item.calculation is not None:
            value = env.answer(qid)
            if value is not None:
                result[qid] = value
        elif qid in state.answers:
            result[qid] = _jsonable(state.answers[qid])
        elif qid in state.specials:
            result[qid] = {"special": state.specials[qid]}
        if qid in state.other_texts:
            result[f"{qid}_other"] = state.other_texts[qid]
    return result
