"""``survey frame import FILE``: import a contact file from the command line, with a progress bar.

    survey frame import customers.csv --name "Customers 2026" --region CN \\
        --map 手机=phone --map 'Segment=segment' --duplicates keep-first
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from survey_app.db import open_session
from survey_app.frames.columns import STANDARD_FIELDS, MappingError, guess_column_map
from survey_app.frames.importer import ImportFailed, ImportRequest, import_file
from survey_app.frames.models import DuplicatePolicy, Frame
from survey_app.frames.phones import is_valid_region
from survey_app.frames.reader import ENCODINGS, FileReadError, open_table


def parse_maps(maps: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """``--map COLUMN=FIELD`` options as ``{field: column}``; ``COLUMN=-`` ignores the column.

    FIELD is a contact field (``phone``...) or an attribute name of your choosing.
    """
    given: dict[str, str] = {}
    ignored: list[str] = []
    for item in maps:
        column, sep, target = item.rpartition("=")
        if not sep or not column or not target:
            raise click.BadParameter(f"{item!r}: expected COLUMN=FIELD", param_hint="--map")
        if target == "-":
            ignored.append(column)
        elif target in given:
            raise click.BadParameter(f"{target!r} is mapped twice", param_hint="--map")
        else:
            given[target] = column
    return given, ignored


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name of the new frame.")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="auto", show_default=True)
@click.option("--region", default=None, help="Region of numbers without +country code (e.g. CN).")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help=f"Map a column to a field ({', '.join(STANDARD_FIELDS)}) or an attribute name; COLUMN=- ignores it.",
)
@click.option(
    "--duplicates",
    type=click.Choice([p.value for p in DuplicatePolicy]),
    default=DuplicatePolicy.keep_first.value,
    show_default=True,
    help="Rows sharing a phone or an e-mail: keep the first, reject all, or keep the last.",
)
@with_appcontext
def import_command(
    file: Path, name: str, encoding: str, region: str | None, maps: tuple[str, ...], duplicates: str
) -> None:
    """Import FILE (CSV or XLSX) as a new contact frame and print its report."""
    if region and not is_valid_region(region):
        raise click.BadParameter(
            f"unknown region {region!r} (use a code such as CN, HK, US)", param_hint="--region"
        )
    if not name.strip() or len(name.strip()) > 200:
        raise click.BadParameter("give a name of 1 to 200 characters", param_hint="--name")
    given, ignored = parse_maps(maps)
    try:
        with open_table(file, encoding) as table:
            column_map = guess_column_map(table.header, given, ignored)
            column_map.check(table.header)
    except (FileReadError, MappingError) as exc:
        raise click.ClickException(str(exc)) from None
    console = Console(stderr=True)
    console.print(f"Columns: {_describe_map(column_map.fields, column_map.attributes)}")
    request = ImportRequest(
        name=name,
        column_map=column_map,
        region=region,
        duplicates=DuplicatePolicy(duplicates),
        encoding=encoding,
        filename=file.name,
    )
    with (
        open_session() as session,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        task = bar.add_task("Importing", total=1.0, rows=0)

        def progress(frame: Frame, fraction: float | None) -> None:
            done = fraction if fraction is not None else frame.rows_read / max(frame.rows_expected or 1, 1)
            bar.update(task, completed=done, rows=frame.rows_read)

        try:
            frame = import_file(session, file, request, progress)
        except ImportFailed as exc:
            raise click.ClickException(f"import failed, nothing was kept: {exc}") from None
        bar.update(task, completed=1.0, rows=frame.rows_read)
    click.echo(
        f"Frame {frame.id} {frame.name!r}: {frame.rows_read} rows read, {frame.contact_count} contacts, "
        f"{frame.rejected_count} rejected, {frame.changed_count} changed, {frame.duplicate_count} duplicates "
        f"(encoding {frame.encoding or 'xlsx'})."
    )
    if frame.rejected_count or frame.changed_count or frame.duplicate_count:
        click.echo(f"Every rejected, changed or duplicate row: survey frame issues {frame.id}")


@click.command("issues")
@click.argument("frame_id", type=int)
@with_appcontext
def issues_command(frame_id: int) -> None:
    """Print the import report of a frame as CSV (row, column, value, action, reason, message)."""
    from survey_app.frames.queries import get_frame, write_issues_csv

    with open_session() as session:
        frame = get_frame(session, frame_id)
        for chunk in write_issues_csv(session, frame):
            click.echo(chunk, nl=False)


def _describe_map(fields: dict[str, str], attributes: dict[str, str]) -> str:
    parts = [f"{column} → {target}" for target, column in fields.items()]
    parts += [f"{column} → attributes.{key}" for key, column in attributes.items()]
    return "; ".join(parts)
