"""Stored draws: the per-stratum table, cases with weights, exclusions, replicates, the lock on
hand-picked respondents, reproducibility and infeasible designs (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, func, select

from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase, OptOut
from survey_app.frames.models import Contact, ContactRules, Frame, FrameStatus
from survey_app.sampling import operations, queries
from survey_app.sampling.models import SampleDraw, SampledUnit, SampleReplicate
from survey_app.sampling.spec import SampleError
from survey_app.surveys import operations as survey_ops
from survey_app.surveys.models import Case, Interview, InterviewSource
from survey_app.surveys.operations import SurveyError
from tests.survey_app.sampling.helpers import make_frame, now, spec
from tests.survey_app.surveys.helpers import make_survey


def cases_of(session: Session, survey_id: int) -> list[Case]:
    return list(session.exec(select(Case).where(Case.survey_id == survey_id).order_by(col(Case.id))).all())


def test_draw_stores_table_seed_and_cases_with_weights(db_session: Session, make_user) -> None:
    user = make_user()
    frame, survey = make_frame(db_session), make_survey(db_session)
    draw = operations.draw_sample(db_session, survey, spec(frame), now=now(), seed=42, drawn_by_id=user.id)

    stored = db_session.get(SampleDraw, draw.id)
    assert (stored.seed, stored.drawn_by_id, stored.method, stored.strata_by) == (
        42,
        user.id,
        "proportional",
        ["region"],
    )
    assert stored.drawn_at == now()
    assert stored.design["spec"]["n"] == 20
    assert stored.design["allocation"]["n"] == 20
    strata = {s.stratum: s for s in queries.query_strata(db_session, draw.id)}
    assert [
        (s.stratum, s.population, s.n_target, s.n_issued, s.take_all, s.design_weight)
        for s in strata.values()
    ] == [
        ("islands", 10, 2, 2, False, 5.0),
        ("north", 60, 12, 12, False, 5.0),
        ("south", 30, 6, 6, False, 5.0),
    ]
    cases = cases_of(db_session, survey.id)
    assert len(cases) == 20
    assert {c.stratum: c.design_weight for c in cases} == {"islands": 5.0, "north": 5.0, "south": 5.0}
    by_stratum = {h: sum(1 for c in cases if c.stratum == h) for h in strata}
    assert by_stratum == {"islands": 2, "north": 12, "south": 6}
    contacts = {c.id: c for c in db_session.exec(select(Contact)).all()}
    for case in cases:
        contact = contacts[case.contact_id]
        assert case.context["region"] == case.stratum == contact.attributes["region"]
        assert case.context["name"] == contact.name
        assert len(case.token_hash) == 64
        assert not case.is_test
        assert case.language == contact.language
        details = db_session.get(FieldworkCase, case.id)
        assert (details.email, details.phone_e164, details.timezone, details.name) == (
            contact.email,
            contact.phone_e164,
            contact.timezone,
            contact.name,
        )
    units = queries.query_units(db_session, draw.id)
    assert sorted(u.case_id for u in units) == sorted(c.id for c in cases)


def test_take_all_stratum_gets_weight_one(db_session: Session) -> None:
    frame = make_frame(db_session, {"north": 60, "south": 30, "islands": 4})
    survey = make_survey(db_session)
    draw = operations.draw_sample(db_session, survey, spec(frame, method="equal", n=24), now=now(), seed=1)
    strata = {s.stratum: s for s in queries.query_strata(db_session, draw.id)}
    assert strata["islands"].take_all
    assert strata["islands"].design_weight == 1.0
    assert (strata["north"].n_target, strata["south"].n_target) == (10, 10)
    assert strata["north"].design_weight == 6.0
    assert strata["south"].design_weight == 3.0
    weights = {c.stratum: c.design_weight for c in cases_of(db_session, survey.id)}
    assert weights == {"islands": 1.0, "north": 6.0, "south": 3.0}


def test_response_rates_inflate_the_issued_sample(db_session: Session) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    rates = {"north": 0.5, "south": 0.5, "islands": 1.0}
    draw = operations.draw_sample(db_session, survey, spec(frame, response_rate=rates), now=now(), seed=3)
    strata = {
        s.stratum: (s.n_target, s.n_issued, s.design_weight)
        for s in queries.query_strata(db_session, draw.id)
    }
    assert strata == {"islands": (2, 2, 5.0), "north": (12, 24, 2.5), "south": (6, 12, 2.5)}
    assert (draw.n_target, draw.n_issued) == (20, 38)
    assert len(cases_of(db_session, survey.id)) == 38


def _recent_draw_of(session: Session, emails: list[str], when: dt.datetime) -> None:
    """Another survey drew people with these e-mails (in another frame) at ``when``."""
    other_frame = Frame(name="other", status=FrameStatus.ready, contact_count=len(emails))
    other_survey = make_survey(session, name="Earlier survey")
    session.add(other_frame)
    session.flush()
    draw = SampleDraw(
        survey_id=other_survey.id,
        frame_id=other_frame.id,
        seed=1,
        method="equal",
        n_target=1,
        n_issued=1,
        drawn_at=when,
    )
    session.add(draw)
    session.flush()
    for k, email in enumerate(emails):
        contact = Contact(frame_id=other_frame.id, row_number=k + 2, email=email.upper())
        session.add(contact)
        session.flush()
        session.add(SampledUnit(draw_id=draw.id, contact_id=contact.id, stratum="x", replicate=1))
    session.commit()


def test_governance_exclusions_are_applied_and_reported_per_stratum(db_session: Session) -> None:
    frame = make_frame(db_session, {"north": 6, "south": 4, "islands": 3})
    contacts = {c.email: c for c in db_session.exec(select(Contact)).all()}
    # north = c1..c6, south = c7..c10, islands = c11..c13
    db_session.add(OptOut(address="c1@example.org", source="staff"))
    db_session.add(OptOut(address=contacts["c2@example.org"].phone_e164, source="sms_keyword"))
    db_session.commit()
    _recent_draw_of(db_session, ["c7@example.org", "c8@example.org"], now() - dt.timedelta(days=10))
    _recent_draw_of(db_session, ["c9@example.org"], now() - dt.timedelta(days=90))  # too long ago
    old = make_survey(db_session, name="Invited")
    case = Case(survey_id=old.id, token_hash="a" * 64)
    db_session.add(case)
    db_session.flush()
    db_session.add(
        ContactAttempt(
            survey_id=old.id,
            case_id=case.id,
            channel="sms",
            step=0,
            kind="invite",
            idempotency_key="k1",
            state=AttemptState.delivered,
            due_at=now(),
            address=contacts["c11@example.org"].phone_e164,
            sent_at=now() - dt.timedelta(days=2),
        )
    )
    db_session.commit()

    survey = make_survey(db_session)
    fixed = {"north": 4, "south": 2, "islands": 2}  # everyone eligible: a take-all draw
    design = spec(frame, method="fixed", n=None, fixed=fixed, frequency_days=30)
    draw = operations.draw_sample(db_session, survey, design, now=now(), seed=5)
    table = {
        s.stratum: (s.frame_count, s.excluded_opt_out, s.excluded_frequency, s.population, s.take_all)
        for s in queries.query_strata(db_session, draw.id)
    }
    assert table == {"islands": (3, 0, 1, 2, True), "north": (6, 2, 0, 4, True), "south": (4, 0, 2, 2, True)}
    drawn = {contacts_by_id.email for contacts_by_id in _drawn_contacts(db_session, draw.id)}
    assert drawn.isdisjoint(
        {"c1@example.org", "c2@example.org", "c7@example.org", "c8@example.org", "c11@example.org"}
    )
    assert "c9@example.org" in drawn
    assert len(drawn) == 8
    assert draw.design["exclusions"][1] == {"stratum": "north", "frame": 6, "opt_out": 2, "frequency": 0}


def _drawn_contacts(session: Session, draw_id: int) -> list[Contact]:
    ids = [u.contact_id for u in queries.query_units(session, draw_id)]
    return list(session.exec(select(Contact).where(col(Contact.id).in_(ids))).all())


def test_frequency_rule_defaults_to_the_organisation_setting_and_zero_turns_it_off(
    db_session: Session,
) -> None:
    frame = make_frame(db_session, {"north": 4})
    _recent_draw_of(db_session, ["c1@example.org"], now() - dt.timedelta(days=1))
    db_session.add(ContactRules(id=1, frequency_days=7))
    db_session.commit()
    plan_default = queries.plan_sample(db_session, spec(frame, n=2, frequency_days=7), now=now())
    plan_off = queries.plan_sample(db_session, spec(frame, n=2, frequency_days=0), now=now())
    assert plan_default.exclusions()[0]["frequency"] == 1
    assert plan_default.allocation["north"].population == 3
    assert plan_off.exclusions()[0]["frequency"] == 0
    assert plan_off.allocation["north"].population == 4


def test_replicates_are_released_in_order_and_reweight_the_cases(db_session: Session) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    design = spec(frame, n=40)
    draw = operations.draw_sample(db_session, survey, design, now=now(), seed=9, replicates=4, release=1)
    replicates = queries.query_replicates(db_session, draw.id)
    assert [r.size for r in replicates] == [10, 10, 10, 10]
    assert [r.released_at is not None for r in replicates] == [True, False, False, False]
    first = cases_of(db_session, survey.id)
    assert len(first) == 10
    strata = {s.stratum: s for s in queries.query_strata(db_session, draw.id)}
    for case in first:  # weight of the released subsample: N_h / released_h
        assert case.design_weight == pytest.approx(
            strata[case.stratum].population / strata[case.stratum].released
        )
    assert sum(s.released for s in strata.values()) == 10

    assert operations.release_replicates(db_session, survey, 3, now=now()) == [2, 3, 4]
    for unit in queries.query_units(db_session, draw.id):  # each replicate is a fieldwork wave
        assert db_session.get(FieldworkCase, unit.case_id).wave == unit.replicate
    cases = cases_of(db_session, survey.id)
    assert len(cases) == 40
    stored = {s.stratum: s for s in queries.query_strata(db_session, draw.id)}
    for case in cases:  # everything released: back to N_h / n_h
        assert case.design_weight == pytest.approx(stored[case.stratum].design_weight)
    assert all(r.released_at is not None for r in queries.query_replicates(db_session, draw.id))
    with pytest.raises(SampleError, match="Every replicate has been released"):
        operations.release_replicates(db_session, survey, 1, now=now())


def test_release_more_than_waiting_is_refused(db_session: Session) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    draw = operations.draw_sample(db_session, survey, spec(frame), now=now(), seed=9, replicates=3, release=0)
    assert cases_of(db_session, survey.id) == []
    with pytest.raises(SampleError, match="between 1 and 3"):
        operations.release_replicates(db_session, survey, 4, now=now())
    assert (
        db_session.exec(
            select(func.count())
            .select_from(SampleReplicate)
            .where(SampleReplicate.draw_id == draw.id, col(SampleReplicate.released_at).is_not(None))
        ).one()
        == 0
    )


def test_after_a_draw_nobody_can_add_a_hand_picked_respondent(db_session: Session) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    operations.draw_sample(db_session, survey, spec(frame), now=now(), seed=2)
    with pytest.raises(SurveyError, match="cannot be added by hand"):
        survey_ops.create_personal_links(db_session, survey, [{"name": "My friend"}])
    with pytest.raises(SurveyError, match="cannot be added by hand"):
        survey_ops.issue_links(db_session, survey, 3)
    db_session.rollback()
    assert len(cases_of(db_session, survey.id)) == 20
    # Pilot links stay possible: they are never contacted and kept out of results.
    survey_ops.issue_links(db_session, survey, 1, is_test=True)
    assert sum(c.is_test for c in cases_of(db_session, survey.id)) == 1


def test_a_survey_with_hand_made_respondents_cannot_be_drawn(db_session: Session) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    survey_ops.create_personal_links(db_session, survey, [{"name": "Picked"}])
    with pytest.raises(SampleError, match="added by hand"):
        operations.draw_sample(db_session, survey, spec(frame), now=now(), seed=2)
    assert queries.get_draw(db_session, survey.id) is None


def test_a_survey_is_drawn_once(db_session: Session) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    operations.draw_sample(db_session, survey, spec(frame), now=now(), seed=2)
    with pytest.raises(SampleError, match="already been drawn"):
        operations.draw_sample(db_session, survey, spec(frame), now=now(), seed=3)
    assert len(cases_of(db_session, survey.id)) == 20


def test_same_seed_same_cases(db_session: Session) -> None:
    frame = make_frame(db_session)
    first, second, third = (make_survey(db_session, name=f"S{i}") for i in range(3))
    a = operations.draw_sample(db_session, first, spec(frame), now=now(), seed=777, replicates=2)
    b = operations.draw_sample(db_session, second, spec(frame), now=now(), seed=777, replicates=2)
    c = operations.draw_sample(db_session, third, spec(frame), now=now(), seed=778, replicates=2)

    def picked(draw_id: int) -> list[tuple[int, str, int]]:
        return [(u.contact_id, u.stratum, u.replicate) for u in queries.query_units(db_session, draw_id)]

    assert picked(a.id) == picked(b.id)
    assert picked(a.id) != picked(c.id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"min_n": 8}, "the minimums add up to 24 but n = 20"),
        ({"n": 101}, "more than the frame can give"),
        ({"method": "neyman"}, "needs stddev"),
        ({"method": "neyman", "stddev": {"north": 1.0, "south": 2.0}}, "'islands' has no standard deviation"),
        ({"by": ("province",)}, "province is not a variable of this frame"),
    ],
)
def test_infeasible_designs_give_the_allocation_error_and_write_nothing(
    db_session: Session, fields, message
) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    with pytest.raises(SampleError, match=message):
        operations.draw_sample(db_session, survey, spec(frame, **fields), now=now(), seed=1)
    db_session.rollback()
    assert queries.get_draw(db_session, survey.id) is None
    assert cases_of(db_session, survey.id) == []


def test_a_stratum_emptied_by_exclusions_is_an_error_with_a_minimum(db_session: Session) -> None:
    frame = make_frame(db_session, {"north": 5, "south": 2})
    for k in (6, 7):
        db_session.add(OptOut(address=f"c{k}@example.org", source="staff"))
    db_session.commit()
    with pytest.raises(SampleError, match="'south' is empty"):
        queries.plan_sample(db_session, spec(frame, n=3, min_n=1), now=now())


def test_frames_still_importing_cannot_be_drawn(db_session: Session) -> None:
    frame = make_frame(db_session)
    frame.status = FrameStatus.importing
    db_session.add(frame)
    db_session.commit()
    with pytest.raises(SampleError, match="import has not finished"):
        queries.plan_sample(db_session, spec(frame), now=now())


def test_neyman_takes_s_h_from_a_previous_wave(db_session: Session) -> None:
    frame = make_frame(db_session, {"north": 50, "south": 50})
    wave = make_survey(db_session, name="Wave 1")
    values = {"north": [1, 2, 3, 4, 5], "south": [1, 5, 1, 5, 9]}  # S = 1.5811, 3.3466 (divisor n-1)
    for stratum, answers in values.items():
        for k, value in enumerate(answers):
            case = Case(survey_id=wave.id, token_hash=f"{stratum}{k}".ljust(64, "0"), stratum=stratum)
            db_session.add(case)
            db_session.flush()
            db_session.add(
                Interview(
                    survey_id=wave.id,
                    case_id=case.id,
                    version_id=wave.version_id,
                    source=InterviewSource.personal,
                    channel="web",
                    language="en",
                    status="complete",
                    state={},
                    step_key="end",
                    answers={"sat": value},
                )
            )
    db_session.commit()
    plan = queries.plan_sample(
        db_session, spec(frame, method="neyman", stddev_wave=(wave.id, "sat")), now=now()
    )
    # n_h ∝ N_h S_h with equal N_h: 20 * 1.5811 / (1.5811 + 3.3466) = 6.4172
    assert plan.allocation["north"].n_real == pytest.approx(6.4172, abs=1e-4)
    assert plan.allocation.sizes == {"north": 6, "south": 14}
    with pytest.raises(SampleError, match="No completed interview"):
        queries.plan_sample(db_session, spec(frame, method="neyman", stddev_wave=(wave.id, "nps")), now=now())
