"""``survey designs load-library``: load the questionnaire library as templates (idempotent).

Mounted by the blueprint (``bp.cli``); ``survey_app/cli.py`` may also add ``load_library_command``
to the ``survey questionnaire`` group.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from survey_app.db import open_session
from survey_app.designs.library import load_library_templates
from survey_app.designs.rules import LIBRARY_DIR


@click.command("load-library")
@click.option(
    "--library",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=LIBRARY_DIR,
    show_default=True,
    help="Folder of questionnaire YAML files (with blocks/).",
)
@with_appcontext
def load_library_command(library: Path) -> None:
    """Load every library questionnaire as a template researchers can copy; publishes nothing."""
    with open_session() as session:
        result = load_library_templates(session, library)
    for label, keys in (
        ("created", result.created),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("skipped (id used by a questionnaire that is not a template)", result.skipped),
    ):
        if keys:
            click.echo(f"{label}: {', '.join(keys)}")
