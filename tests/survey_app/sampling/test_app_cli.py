"""``survey sample allocate`` and ``survey sample draw`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlmodel import select

from survey_app.sampling import queries
from survey_app.surveys.models import Case
from tests.survey_app.sampling.helpers import make_frame
from tests.survey_app.surveys.helpers import make_survey


def test_allocate_prints_the_table_and_stores_nothing(app, db_session) -> None:
    frame = make_frame(db_session)
    result = app.test_cli_runner().invoke(
        args=[
            "sample",
            "allocate",
            "--frame",
            str(frame.id),
            "--by",
            "region",
            "--n",
            "20",
            "--method",
            "neyman",
            "--sd",
            "north=1",
            "--sd",
            "south=2",
            "--sd",
            "islands=4",
            "--min-n",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    # A_h = N_h S_h: 60, 60, 40 -> 20 * (60, 60, 40) / 160 = 7.5, 7.5, 5
    assert "7.5000" in lines["north"]
    assert "5.0000" in lines["islands"]
    assert "total" in lines
    assert "100" in lines["total"]


def test_allocate_reports_an_infeasible_design(app, db_session) -> None:
    frame = make_frame(db_session)
    runner = app.test_cli_runner()
    args = ["sample", "allocate", "--frame", str(frame.id), "--by", "region"]
    result = runner.invoke(args=[*args, "--n", "20", "--min-n", "8"])
    assert result.exit_code == 1
    assert "the minimums add up to 24 but n = 20" in result.output
    result = runner.invoke(args=[*args, "--n", "20", "--method", "neyman"])
    assert result.exit_code == 1
    assert "needs stddev" in result.output
    result = runner.invoke(args=[*args, "--n", "20", "--sd", "north"])
    assert result.exit_code == 1
    assert 'write "stratum = value"' in result.output


def test_draw_stores_the_sample(app, db_session, make_user) -> None:
    user = make_user(email="li@example.org")
    frame, survey = make_frame(db_session), make_survey(db_session)
    result = app.test_cli_runner().invoke(
        args=[
            "sample",
            "draw",
            "--survey",
            str(survey.id),
            "--frame",
            str(frame.id),
            "--by",
            "region",
            "--n",
            "20",
            "--seed",
            "99",
            "--replicates",
            "2",
            "--release",
            "1",
            "--drawn-by",
            "LI@example.org",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Drew 20 units in 2 replicate(s); 10 released as cases." in result.output
    assert "seed 99" in result.output
    draw = queries.get_draw(db_session, survey.id)
    assert (draw.seed, draw.drawn_by_id) == (99, user.id)
    assert len(db_session.exec(select(Case).where(Case.survey_id == survey.id)).all()) == 10
    again = app.test_cli_runner().invoke(
        args=[
            "sample",
            "draw",
            "--survey",
            str(survey.id),
            "--frame",
            str(frame.id),
            "--by",
            "region",
            "--n",
            "20",
        ]
    )
    assert again.exit_code == 1
    assert "already been drawn" in again.output
