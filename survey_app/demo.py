"""``survey demo``: a working system on the embedded database in one command.

Migrates, loads the questionnaire library as templates, creates the administrator
``admin@example.org`` (its generated password is printed once), copies and publishes the
end-customer relationship questionnaire, fields it as an open demo survey in English and
Simplified Chinese, and prints the staff address plus two respondent links: a personal link and
the open link. With ``--serve`` it then runs the development server.

Running it again is safe: it reuses the administrator, questionnaire and survey, and prints fresh
links (tokens are stored only as hashes, so earlier links cannot be shown again; a fresh open
link replaces the previous one).
"""

from __future__ import annotations

import datetime as dt

import click
from alembic.util import CommandError
from flask import Flask, url_for
from sqlmodel import Session, select
from werkzeug.serving import run_simple

from survey_app import create_app, schema
from survey_app.auth.models import Role, User
from survey_app.auth.operations import create_user, generate_password
from survey_app.config import SettingsError
from survey_app.db import get_engine, open_session, utcnow
from survey_app.designs import operations as designs
from survey_app.designs import queries as design_queries
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys import operations as surveys
from survey_app.surveys.models import Survey
from survey_app.surveys.queries import SurveyPhase, survey_phase

DEMO_ADMIN = "admin@example.org"
#: The end-customer questionnaire of the library, and the key of the demo's own published copy.
DEMO_TEMPLATE = "customer_relationship"
DEMO_KEY = "demo_customer_relationship"
DEMO_SURVEY = "Demo: customer relationship survey"
DEMO_LANGUAGES = ["en", "zh-Hans"]
DEMO_DAYS_OPEN = 30
#: The respondent the personal link is for: the questionnaire pipes these into its texts.
DEMO_CONTACT = {"first_name": "李明", "product": "光纤宽带"}


@click.command("demo")
@click.option("--serve", is_flag=True, help="Run the development server after setting up the demo.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to serve on."
)
def demo_command(serve: bool, host: str, port: int) -> None:
    """Set up a demo on the configured database (SQLite under instance/ by default)."""
    try:
        # Demo mode: a missing SECRET_KEY is generated into the instance folder and kept there.
        app = create_app({"SURVEY_DEMO": "1"})
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    base = (app.config["SURVEY_SETTINGS"].public_base_url or f"http://{host}:{port}").rstrip("/")
    with app.app_context():
        try:
            schema.upgrade(get_engine(app))
        except CommandError as exc:  # e.g. a database from a newer or abandoned branch of migrations
            raise click.ClickException(f"the database cannot be migrated: {exc}") from None
        with open_session(app) as session:
            loaded = designs.load_library_templates(session)
            admin, password = _admin(session)
            survey = _demo_survey(session, admin)
            personal = surveys.create_personal_links(session, survey, [DEMO_CONTACT], "zh-Hans")[0]
            open_token = surveys.create_open_link(session, survey)
            name = survey.name
    links = _absolute(app, base, ("respond.personal", personal), ("respond.open_link", open_token))
    click.echo(
        f"Questionnaire library: {len(loaded.created)} templates loaded, {len(loaded.unchanged)} unchanged."
    )
    click.echo(f"App:               {base}/")
    click.echo(f"Staff sign-in:     {base}/login as {DEMO_ADMIN}")
    if password:
        click.echo(f"  password (shown once, keep it): {password}")
    else:
        click.echo("  password:        the one printed when the demo first ran")
    click.echo(f"Demo survey:       {name}")
    click.echo(f"  personal link (in Chinese, for {DEMO_CONTACT['first_name']}): {links[0]}")
    click.echo(f"  open link (anyone; non-probability): {links[1]}")
    if serve:
        click.echo(f"Serving on http://{host}:{port}/ (Ctrl-C stops it).")
        # Not app.run(): under the `survey` command (FLASK_RUN_FROM_CLI) Flask ignores that call.
        run_simple(host, port, app, threaded=True, use_reloader=False)


def _absolute(app: Flask, base: str, *targets: tuple[str, str]) -> list[str]:
    with app.test_request_context(base_url=base):
        return [url_for(endpoint, token=token, _external=True) for endpoint, token in targets]


def _admin(session: Session) -> tuple[User, str | None]:
    """The demo administrator, and its password if it was created just now."""
    existing = session.exec(select(User).where(User.email == DEMO_ADMIN)).first()
    if existing is not None:
        return existing, None
    password = generate_password()
    user = create_user(
        session, email=DEMO_ADMIN, display_name="Demo administrator", role=Role.admin, password=password
    )
    return user, password


def _demo_version(session: Session, admin: User) -> QuestionnaireVersion:
    """The published demo questionnaire: a copy of the library template, published once."""
    record: QuestionnaireRecord | None = design_queries.get_questionnaire_by_key(session, DEMO_KEY)
    if record is None:
        template = design_queries.get_questionnaire_by_key(session, DEMO_TEMPLATE)
        if template is None or not template.is_template:
            raise click.ClickException(f"the questionnaire library has no {DEMO_TEMPLATE!r} template")
        record = designs.use_template(session, template, key=DEMO_KEY, owner=admin)
    latest = design_queries.latest_version(session, record.id or 0)
    if latest is not None:
        return latest
    return designs.publish_version(session, record, revision=record.draft_revision, user=admin)


def _demo_survey(session: Session, admin: User) -> Survey:
    """The demo survey, created open for 30 days (re-opened for 30 days if it has closed since)."""
    now = utcnow()
    survey = session.exec(select(Survey).where(Survey.name == DEMO_SURVEY).order_by(Survey.id)).first()  # type: ignore[arg-type]
    if survey is not None and survey_phase(survey, now) != SurveyPhase.closed:
        return survey
    version = (session.get(QuestionnaireVersion, survey.version_id) if survey else None) or _demo_version(
        session, admin
    )
    opens_at, closes_at = now - dt.timedelta(minutes=1), now + dt.timedelta(days=DEMO_DAYS_OPEN)
    if survey is not None:
        return surveys.update_survey(
            session,
            survey,
            version=version,
            name=DEMO_SURVEY,
            stakeholder_group=survey.stakeholder_group,
            languages=DEMO_LANGUAGES,
            default_language="en",
            opens_at=opens_at,
            closes_at=closes_at,
            partial_threshold=survey.partial_threshold,
        )
    return surveys.create_survey(
        session,
        version=version,
        name=DEMO_SURVEY,
        stakeholder_group="end_customer",
        languages=DEMO_LANGUAGES,
        default_language="en",
        opens_at=opens_at,
        closes_at=closes_at,
        user=admin,
    )
