"""``survey questionnaire ...``: validate, convert and walk questionnaire files without a browser."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from questionnaires import engine
from questionnaires.definition import Questionnaire, parse_definition
from questionnaires.documents import DocumentError, dump_document, load_document
from questionnaires.state import QuestionView, Reply
from questionnaires.validation import Problem, validate

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".xlsx": "xlsform"}
WALK_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: walks are reproducible, not tied to the clock


def read_any(path: Path) -> tuple[dict[str, Any], list[str]]:
    """Read a YAML, JSON or XLSForm file into a document plus import notes (XLSForm only)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(str(path), f"unknown file type '{path.suffix}'; use .yaml, .json or .xlsx")
    if kind == "xlsform":
        from questionnaires.xlsform import import_xlsform

        result = import_xlsform(path)
        notes = [f"row {i.row}: {i.name or ''} {i.construct}: {i.reason}".strip() for i in result.issues]
        return result.document, notes
    return load_document(path), []


def load_valid(path: Path) -> tuple[Questionnaire | None, list[Problem], list[str]]:
    """Read ``path`` and validate it; the questionnaire is None when it has errors."""
    try:
        document, notes = read_any(path)
    except DocumentError as exc:
        return None, [Problem("", exc.message)], []
    problems = validate(document)
    if any(p.severity == "error" for p in problems):
        return None, problems, notes
    try:
        return parse_definition(document), problems, notes
    except ValidationError as exc:  # pragma: no cover - validate() reports these first
        return None, [Problem("", str(exc))], notes


@click.group("questionnaire")
def questionnaire_cli() -> None:
    """Validate, convert and test questionnaire definitions."""


@questionnaire_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate_command(files: tuple[Path, ...], strict: bool) -> None:
    """Check FILES; exit 0 when valid, 2 with one line per problem otherwise."""
    failed = False
    for path in files:
        _, problems, notes = load_valid(path)
        for note in notes:
            click.echo(f"{path}: import: {note}")
        for problem in problems:
            click.echo(f"{path}: {problem}")
            failed = failed or problem.severity == "error" or strict
        if not problems:
            click.echo(f"{path}: valid")
    sys.exit(2 if failed else 0)


@questionnaire_cli.command("convert")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
def convert_command(source: Path, target: Path) -> None:
    """Convert SOURCE to TARGET between YAML, JSON and XLSForm (by file extension)."""
    target_kind = FORMATS.get(target.suffix.lower())
    if target_kind is None:
        raise click.UsageError(f"unknown target type '{target.suffix}'; use .yaml, .json or .xlsx")
    questionnaire, problems, notes = load_valid(source)
    for note in notes:
        click.echo(f"{source}: import: {note}", err=True)
    for problem in problems:
        click.echo(f"{source}: {problem}", err=True)
    if questionnaire is None:
        sys.exit(2)
    if target_kind == "xlsform":
        from questionnaires.xlsform import export_xlsform

        target.write_bytes(export_xlsform(questionnaire))
    else:
        target.write_text(dump_document(questionnaire, target_kind), encoding="utf-8")
    click.echo(f"wrote {target}")


@questionnaire_cli.command("walk")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="JSON object: question id -> answer (text, list of codes, or {item: value}).",
)
@click.option("--lang", default=None, help="Interview language, e.g. zh-Hans.")
@click.option(
    "--contact",
    "contact_file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="JSON object of contact attributes for conditions and piping.",
)
@click.option("--channel", default="agent", type=click.Choice(["web", "sms", "ivr", "agent", "email"]))
@click.option("--seed", default=1, type=int, help="Randomisation seed (option order).")
def walk_command(
    file: Path, answers_file: Path, lang: str | None, contact_file: Path | None, channel: str, seed: int
) -> None:
    """Print the path the engine takes through FILE for the given answers."""
    questionnaire, problems, _ = load_valid(file)
    if questionnaire is None:
        for problem in problems:
            click.echo(f"{file}: {problem}", err=True)
        sys.exit(2)
    answers = json.loads(answers_file.read_text(encoding="utf-8"))
    contact = json.loads(contact_file.read_text(encoding="utf-8")) if contact_file else {}
    lines, ok = walk(questionnaire, answers, contact, lang or questionnaire.default_language, channel, seed)
    for line in lines:
        click.echo(line)
    sys.exit(0 if ok else 2)


def walk(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    contact: dict[str, Any],
    language: str,
    channel: str,
    seed: int,
) -> tuple[list[str], bool]:
    """Drive the engine with ``answers``; return the printed path and whether it completed."""
    now = WALK_EPOCH
    state = engine.start(
        questionnaire, context=contact, language=language, channel=channel, seed=seed, now=now
    )
    lines: list[str] = []
    while True:
        step = engine.next_step(questionnaire, state, now=now)
        if step.done:
            state = engine.complete(questionnaire, state, now=now)
            status = engine.interview_status(questionnaire, state)
            lines.append(
                f"done: {status.value}, {len(engine.final_answers(questionnaire, state))} answers stored"
            )
            return lines, True
        replies = {view.id: _reply(answers.get(view.id)) for view in step.questions}
        for view in step.questions:
            lines.append(_describe(view, answers.get(view.id)))
        now += 10
        result = engine.answer(questionnaire, state, replies, now=now)
        if result.errors:
            lines.extend(f"  ! {e.question}: {e.message}" for e in result.errors)
            lines.append("stopped: the answers file does not satisfy this step")
            return lines, False
        state = result.state


def _reply(raw: Any) -> Reply:
    if isinstance(raw, dict) and ("special" in raw or "other" in raw):
        return Reply(value=raw.get("value"), special=raw.get("special"), other_text=raw.get("other"))
    return Reply(value=raw)


def _describe(view: QuestionView, raw: Any) -> str:
    text = view.text if len(view.text) <= 60 else view.text[:57] + "..."
    answer = "" if view.type == "info" else f" -> {json.dumps(raw, ensure_ascii=False)}"
    return f"{view.id} [{view.type}] {text}{answer}"
