"""Frame import benchmark: 1,000,000 synthetic contacts in 50 strata, beside PostgreSQL ``COPY``.

    .venv/bin/python bench/frame_import.py                 # 1,000,000 rows, writes RESULTS.md
    .venv/bin/python bench/frame_import.py --rows 100000 --no-write

1. A CSV file is generated (seeded): Chinese names, mainland mobile numbers in four mixed formats
   (``+86 138 0013 8000``, ``138-0013-8000``, ``13800138000``, ``+8613800138000``), e-mails, a
   stratum ``S01``..``S50`` and a segment; 0.5 % of the phones are invalid (too short) and 0.2 % of
   the rows repeat an earlier phone, so rejection, change and duplicate reporting are exercised.
2. **App import**, in a child process of its own (so that its peak RSS is its own): the same call
   the CLI makes (``survey_app.frames.importer.import_file``, region CN, keep-first) into a fresh
   PostgreSQL database migrated to head: read, clean (E.164 with phonenumbers, e-mail syntax with
   email-validator), insert in batches, resolve duplicates in SQL, commit.
3. **Baseline**, in the same run, also in a child process: PostgreSQL's own ``COPY ... FROM STDIN
   (FORMAT csv, HEADER)`` of the same file into a table of six text columns: the floor for getting
   these bytes into the server, with no checking at all.

Goals (issue 4): ≥ 20,000 rows/s with RSS < 500 MB. Writes the "Frame import" section of
``bench/RESULTS.md`` (other sections are kept). The machine is shared: compare the ratio to COPY
between runs rather than absolute figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Frame import"
SERVER_URL = os.environ.get(
    "SURVEY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "186",
    "188",
]


def generate(path: Path, rows: int, strata: int, seed: int = 20261202) -> None:
    """Write the synthetic frame (see the module docstring)."""
    rng = random.Random(seed)
    formats = [
        lambda d: f"+86 {d[:3]} {d[3:7]} {d[7:]}",
        lambda d: f"{d[:3]}-{d[3:7]}-{d[7:]}",
        lambda d: d,
        lambda d: f"+86{d}",
    ]
    earlier: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("客户编号,姓名,手机,邮箱,stratum,segment\n")
        for i in range(rows):
            digits = f"{rng.choice(PREFIXES)}{rng.randint(0, 99_999_999):08d}"
            roll = rng.random()
            if roll < 0.005:
                digits = digits[:7]  # too short: the phone is removed, the e-mail kept (changed)
            elif roll < 0.007 and earlier:
                digits = rng.choice(earlier)  # a duplicate of an earlier row
            elif len(earlier) < 1000:
                earlier.append(digits)
            phone = rng.choice(formats)(digits)
            out.write(
                f"C{i:07d},客户{i}号,{phone},c{i}@example.com,S{i % strata + 1:02d},{rng.choice('ABC')}\n"
            )


def _peak_rss_mb() -> float:
    """Peak RSS of this process (VmHWM: unlike ``ru_maxrss`` it does not carry the parent's peak
    over a fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app_import(url: str, path: str, queue: Any) -> None:
    from survey_app import create_app
    from survey_app.db import open_session
    from survey_app.frames.columns import guess_column_map
    from survey_app.frames.importer import ImportRequest, import_file
    from survey_app.frames.reader import open_table

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789"})
    with app.app_context(), open_session(app) as session:
        with open_table(Path(path)) as table:
            column_map = guess_column_map(table.header)
        start = time.perf_counter()
        frame = import_file(
            session, Path(path), ImportRequest(name="bench", column_map=column_map, region="CN")
        )
        seconds = time.perf_counter() - start
        counts = (
            frame.rows_read,
            frame.contact_count,
            frame.rejected_count,
            frame.changed_count,
            frame.duplicate_count,
        )
    queue.put({"seconds": seconds, "rss": _peak_rss_mb(), "counts": counts})


def _copy_baseline(url: str, path: str, queue: Any) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        connection.execute(
            "CREATE TABLE copy_baseline"
            " (id text, name text, phone text, email text, stratum text, segment text)"
        )
        connection.commit()
        start = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY copy_baseline FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            with open(path, "rb") as source:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
        connection.commit()
        seconds = time.perf_counter() - start
    queue.put({"seconds": seconds, "rss": _peak_rss_mb()})


def _in_child(target: Any, *args: Any) -> dict[str, Any]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return dict(result)


def _fresh_database() -> tuple[str, Any]:
    import sqlalchemy as sa

    from survey_app import create_app, schema
    from survey_app.db import get_engine

    server = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    name = f"survey_bench_frames_{os.getpid()}"
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.url.set(database=name).render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789"})
    engine = get_engine(app)
    schema.upgrade(engine)
    engine.dispose()

    def drop() -> None:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()

    return url, drop


def report(rows: int, strata: int, size_mb: float, app: dict[str, Any], copy: dict[str, Any]) -> str:
    """The "Frame import" section of RESULTS.md."""
    read, kept, rejected, changed, duplicates = app["counts"]
    app_rate, copy_rate = rows / app["seconds"], rows / copy["seconds"]
    met = app_rate >= 20_000 and app["rss"] < 500
    return "\n".join(
        [
            SECTION,
            "",
            f"`bench/frame_import.py`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python "
            f"{platform.python_version()}, {os.cpu_count()} CPUs (shared with other work: compare the "
            "ratio).",
            f"{rows:,} synthetic contacts in {strata} strata, CSV of {size_mb:.0f} MB (UTF-8, Chinese names, "
            "four phone formats, 0.5 % bad phones, 0.2 % repeated phones).",
            "",
            "| | seconds | rows/s | peak RSS (MB) |",
            "|---|---:|---:|---:|",
            "| App import (`import_file`: E.164 + e-mail check + duplicates + report) "
            f"| {app['seconds']:.1f} "
            f"| {app_rate:,.0f} | {app['rss']:.0f} |",
            f"| PostgreSQL `COPY` of the same file (no checks) | {copy['seconds']:.1f} | {copy_rate:,.0f} "
            f"| {copy['rss']:.0f} |",
            "",
            f"App import = {app['seconds'] / copy['seconds']:.1f}× the time of `COPY`. "
            f"Rows read {read:,}, contacts "
            f"{kept:,}, rejected {rejected:,}, changed {changed:,}, duplicates {duplicates:,}.",
            f"Goal ≥ 20,000 rows/s with RSS < 500 MB: {'met' if met else 'NOT met'}.",
            "",
        ]
    )


def write_section(text: str) -> None:
    """Replace the "Frame import" section of RESULTS.md (or append it), keeping the other sections."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = (
        pattern.sub(lambda _m: text + "\n", old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    )
    RESULTS.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--strata", type=int, default=50)
    parser.add_argument("--no-write", action="store_true", help="print the section, do not update RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="frame-bench-") as tmp:
        path = Path(tmp) / "frame.csv"
        generate(path, args.rows, args.strata)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB)", flush=True)
        url, drop = _fresh_database()
        try:
            copy = _in_child(_copy_baseline, url, str(path))
            print(f"COPY: {copy['seconds']:.1f} s", flush=True)
            app = _in_child(_app_import, url, str(path))
            print(f"app import: {app['seconds']:.1f} s", flush=True)
        finally:
            drop()
    text = report(args.rows, args.strata, size_mb, app, copy)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
