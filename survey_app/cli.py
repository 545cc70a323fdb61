"""The ``survey`` command: Flask's commands (``run``, ``shell``, ``routes``) plus ours.

    survey db upgrade                  # migrate the database to the code's schema
    survey db current                  # where the database is, and whether that is head
    survey db revision -m "add vendors"  # new revision from the models (database must be at head)
    survey user create-admin --email ops@example.org
    survey i18n update && survey i18n compile
    survey questionnaire validate FILE...   # also convert IN OUT, walk FILE --answers a.json
    survey worker                      # the one scheduler process: waves, sends, reminders, retries

Module packages add their own commands with ``bp.cli`` (``survey <blueprint> <command>``), or add a
top-level command to ``main`` here.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, NoAppException, with_appcontext

from questionnaires.cli import questionnaire_cli
from survey_app import create_app, schema
from survey_app.config import SettingsError
from survey_app.db import get_engine, open_session
from survey_app.demo import demo_command
from survey_app.i18n import TRANSLATIONS_DIR, compile_catalogs

ROOT = Path(__file__).resolve().parent.parent

db_cli = AppGroup("db", help="Database schema migrations (Alembic, in migrations/).")
user_cli = AppGroup("user", help="Staff accounts.")
i18n_cli = AppGroup("i18n", help="Interface translations (survey_app/translations).")
GROUPS = (db_cli, user_cli, i18n_cli)


def init_app(app: Flask) -> None:
    """Also offer our groups under ``flask --app survey_app`` and ``app.test_cli_runner()``."""
    for group in GROUPS:
        app.cli.add_command(group)


def _cli_app() -> Flask:
    try:
        return create_app()
    except SettingsError as exc:
        # Click prints this as "Error: ..." instead of a traceback.
        raise NoAppException(str(exc)) from None


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    engine = get_engine()
    schema.upgrade(engine, revision)
    click.echo(f"Database at {_describe(schema.current_revisions(engine))}.")


@db_cli.command("downgrade", context_settings={"ignore_unknown_options": True})  # allows "-1"
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("-1": one step; "base" removes every table)."""
    engine = get_engine()
    schema.downgrade(engine, revision)
    click.echo(f"Database at {_describe(schema.current_revisions(engine))}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's revision and whether it is the code's head; exit 1 if not."""
    current = schema.current_revisions(get_engine())
    heads = schema.head_revisions()
    click.echo(f"Database at {_describe(current)}; code head {_describe(heads)}.")
    if current != heads:
        click.echo(f"Not up to date: run `{schema.UPGRADE_COMMAND}`.", err=True)
        sys.exit(1)


@db_cli.command("heads")
def db_heads() -> None:
    """Show the head revision(s) of migrations/ (there should be exactly one)."""
    click.echo(_describe(schema.head_revisions()))


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the revision does, e.g. 'add vendors'.")
@click.option("--empty", is_flag=True, help="Write an empty revision instead of autogenerating.")
def db_revision(message: str, empty: bool) -> None:
    """Write a new revision from the difference between the database (at head) and the models.

    Review the generated file before committing: autogenerate cannot see renames and guesses
    some types.
    """
    engine = get_engine()
    if not empty and not schema.schema_is_current(engine):
        raise click.ClickException(f"The database is not at head: run `{schema.UPGRADE_COMMAND}` first.")
    for path in schema.create_revision(engine, message, autogenerate=not empty):
        click.echo(f"Wrote {path}")


def _describe(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "(empty: no revision)"


@user_cli.command("create-admin")
@click.option("--email", required=True, help="The administrator's e-mail address (sign-in name).")
@click.option("--password", help="Omit to be prompted (interactive) or to get a generated one.")
@click.option("--name", "display_name", default="", help="Display name (default: the e-mail).")
def create_admin(email: str, password: str | None, display_name: str) -> None:
    """Create an administrator account."""
    from survey_app.auth.models import Role
    from survey_app.auth.operations import UserError, create_user, generate_password

    generated = False
    if password is None and sys.stdin.isatty():
        password = click.prompt(
            "Password (empty: generate one)", hide_input=True, confirmation_prompt=True, default=""
        )
    if not password:
        password, generated = generate_password(), True
    with open_session() as session:
        try:
            user = create_user(
                session, email=email, display_name=display_name, role=Role.admin, password=password
            )
        except UserError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Created administrator {user.email}.")
    if generated:
        click.echo(f"Password (shown once): {password}")


_POT = TRANSLATIONS_DIR / "messages.pot"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@i18n_cli.command("extract", with_appcontext=False)
def i18n_extract() -> None:
    """Collect the translatable strings of survey_app into messages.pot (babel.cfg)."""
    _pybabel(
        "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--sort-by-file",
        "--project", "survey-fieldwork", "-o", str(_POT), ".",
    )  # fmt: skip


@i18n_cli.command("update", with_appcontext=False)
@click.pass_context
def i18n_update(ctx: click.Context) -> None:
    """Extract, then merge new strings into each locale's messages.po (translate, then compile)."""
    ctx.invoke(i18n_extract)
    _pybabel("update", "-i", str(_POT), "-d", str(TRANSLATIONS_DIR), "--ignore-obsolete")


@i18n_cli.command("compile", with_appcontext=False)
def i18n_compile() -> None:
    """Compile messages.po files into .mo (the app also does this at start-up when needed)."""
    for path in compile_catalogs(TRANSLATIONS_DIR):
        click.echo(f"Compiled {path.relative_to(ROOT)}")


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the scheduled jobs (waves, sends, reminders, retries) until stopped.

    Run exactly one worker per deployment, never inside the web workers.
    """
    from survey_app.scheduling.runner import WorkerError, run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run_worker(current_app._get_current_object())  # type: ignore[attr-defined]
    except WorkerError as exc:
        raise click.ClickException(str(exc)) from None


main = FlaskGroup(
    name="survey",
    help="Survey fieldwork: serve the app, migrate the database, manage staff accounts.",
    create_app=_cli_app,
    load_dotenv=False,
)
for _group in GROUPS:
    main.add_command(_group)
main.add_command(worker_command)
main.add_command(demo_command)
# Pure commands (validate, convert, walk): they need no app, database or settings.
main.add_command(questionnaire_cli)
