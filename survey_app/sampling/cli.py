"""``survey sample allocate`` (print the allocation table) and ``survey sample draw`` (draw and store).

    survey sample allocate --frame 3 --by region,segment --n 1000 --method neyman \\
        --sd "north / retail=1.8" --sd "north / business=2.4" ... --min-n 20 --response-rate 0.35
    survey sample draw --survey 7 --frame 3 --by region --n 1000 --seed 20261202 --replicates 4 --release 1

Per-stratum values (``--sd``, ``--cost``, ``--fixed``, ``--rr``) are ``STRATUM=VALUE`` and repeat;
the stratum labels are the ones ``allocate`` prints. Infeasible designs print the allocation
module's message (what to change) and exit with status 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import Session, select

from survey_app.auth.models import User
from survey_app.db import open_session, utcnow
from survey_app.sampling import operations, queries
from survey_app.sampling.design import METHODS
from survey_app.sampling.framedata import default_frequency_days
from survey_app.sampling.spec import DesignSpec, SampleError, parse_by, parse_per_stratum
from survey_app.surveys.models import Survey

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _design_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options: list[Decorator] = [
        click.option("--frame", "frame_id", type=int, required=True, help="Frame id."),
        click.option("--by", required=True, help="Stratification variables, comma-separated."),
        click.option("--method", type=click.Choice(METHODS), default="proportional", show_default=True),
        click.option("--n", "n", type=int, help="Target completed interviews (not with --method fixed)."),
        click.option("--min-n", type=int, default=0, show_default=True, help="Minimum per stratum."),
        click.option("--max-n", type=int, help="Maximum per stratum."),
        click.option(
            "--power", type=float, default=0.5, show_default=True, help="Exponent a of power allocation."
        ),
        click.option("--sd", multiple=True, help="S_h as STRATUM=VALUE (neyman, optimal)."),
        click.option("--sd-from", help="S_h from a previous wave: SURVEY_ID:ANSWER_KEY."),
        click.option("--cost", multiple=True, help="c_h as STRATUM=VALUE (optimal)."),
        click.option("--fixed", multiple=True, help="n_h as STRATUM=N (fixed)."),
        click.option("--response-rate", type=float, help="Expected response rate of every stratum."),
        click.option("--rr", multiple=True, help="Expected response rate as STRATUM=RATE."),
        click.option(
            "--frequency-days",
            type=int,
            help="Exclude anyone drawn or invited in the last N days "
            "(default: the organisation's contact rule).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _spec(session: Session, opts: dict[str, Any]) -> DesignSpec:
    wave = None
    if opts["sd_from"]:
        survey, sep, key = opts["sd_from"].partition(":")
        if not sep or not survey.strip().isdigit() or not key.strip():
            raise SampleError("--sd-from must be SURVEY_ID:ANSWER_KEY, e.g. 12:satisfaction")
        wave = (int(survey), key.strip())
    fixed = parse_per_stratum(opts["fixed"], "--fixed", whole=True)
    rates = parse_per_stratum(opts["rr"], "--rr")
    days = opts["frequency_days"]
    return DesignSpec(
        frame_id=opts["frame_id"],
        by=parse_by(opts["by"]),
        method=opts["method"],
        n=opts["n"],
        min_n=opts["min_n"],
        max_n=opts["max_n"],
        power=opts["power"],
        stddev=parse_per_stratum(opts["sd"], "--sd") or None,
        stddev_wave=wave,
        cost=parse_per_stratum(opts["cost"], "--cost") or None,
        fixed={k: int(v) for k, v in fixed.items()} or None,
        response_rate=rates or opts["response_rate"],
        frequency_days=default_frequency_days(session) if days is None else days,
    )


def _console() -> Console:
    """A console; piped output gets a wide one so stratum labels are not cut."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except SampleError as error:
        raise click.ClickException(error.message) from None


def print_table(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    """Print an allocation table (``SamplePlan.rows()`` or stored strata as the same dicts)."""
    table = Table(title=title)
    headers = (
        "stratum",
        "frame",
        "opted out",
        "recently asked",
        "N_h",
        "n_h (real)",
        "n_h",
        "issued",
        "take-all",
        "weight",
    )
    for header in headers:
        table.add_column(header, justify="left" if header == "stratum" else "right")
    for row in rows:
        weight = row["design_weight"]
        table.add_row(
            str(row["stratum"]),
            str(row["frame"]),
            str(row["opt_out"]),
            str(row["frequency"]),
            str(row["population"]),
            f"{row['n_real']:.4f}",
            str(row["n"]),
            str(row["issued"]),
            "yes" if row["take_all"] else "",
            "" if weight is None else f"{weight:.4f}",
        )
    total = {
        k: sum(r[k] for r in rows) for k in ("frame", "opt_out", "frequency", "population", "n", "issued")
    }
    table.add_section()
    table.add_row(
        "total",
        *(str(total[k]) for k in ("frame", "opt_out", "frequency", "population")),
        "",
        str(total["n"]),
        str(total["issued"]),
        "",
        "",
    )
    console.print(table)


@click.command("allocate")
@with_appcontext
@_design_options
def allocate_command(**opts: Any) -> None:
    """Print the allocation table of a design on a frame (nothing is drawn or stored)."""
    with open_session() as session, _errors():
        plan = queries.plan_sample(session, _spec(session, opts), now=utcnow())
    print_table(_console(), f"{plan.allocation.method} allocation, frame {opts['frame_id']}", plan.rows())


@click.command("draw")
@with_appcontext
@click.option("--survey", "survey_id", type=int, required=True, help="Survey id.")
@_design_options
@click.option("--seed", type=int, help="Seed (default: a random one, stored and printed).")
@click.option("--replicates", type=int, default=1, show_default=True, help="Random replicate groups.")
@click.option("--release", type=int, help="Replicates released now (default: all).")
@click.option("--drawn-by", help="E-mail of the staff member drawing (recorded).")
def draw_command(
    survey_id: int, seed: int | None, replicates: int, release: int | None, drawn_by: str | None, **opts: Any
) -> None:
    """Draw a survey's stratified sample, store it and release replicates, with a progress bar."""
    console = _console()
    with open_session() as session, _errors():
        survey = session.get(Survey, survey_id)
        if survey is None:
            raise SampleError(f"there is no survey {survey_id}")
        user = (
            session.exec(select(User).where(User.email == drawn_by.strip().lower())).first()
            if drawn_by
            else None
        )
        if drawn_by and user is None:
            raise SampleError(f"there is no staff member {drawn_by}")
        spec = _spec(session, opts)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    label = "reading the frame" if stage == "read" else "writing cases"
                    tasks[stage] = bar.add_task(label, total=total)
                bar.update(tasks[stage], completed=done, total=max(total, done))

            draw = operations.draw_sample(
                session,
                survey,
                spec,
                now=utcnow(),
                seed=seed,
                replicates=replicates,
                release=release,
                drawn_by_id=user.id if user else None,
                progress=progress,
            )
        strata = queries.query_strata(session, draw.id or 0)
        exact = {r["stratum"]: r["n_real"] for r in draw.design["allocation"]["strata"]}
        rows = [
            {"stratum": s.stratum, "frame": s.frame_count, "opt_out": s.excluded_opt_out,
             "frequency": s.excluded_frequency, "population": s.population, "n_real": exact[s.stratum],
             "n": s.n_target, "issued": s.n_issued, "take_all": s.take_all, "design_weight": s.design_weight}
            for s in strata
        ]  # fmt: skip
        print_table(console, f"survey {survey_id}: drawn sample (seed {draw.seed})", rows)
        released = sum(s.released for s in strata)
        console.print(
            f"Drew {draw.n_issued} units in {draw.replicates} replicate(s); {released} released as cases."
        )
