"""The job store table of the worker's APScheduler (``SQLAlchemyJobStore``), owned by our migrations.

APScheduler would create it on first start; declaring it here (with the exact columns APScheduler
3.x uses) lets Alembic create and compare it like every other table, so the schema tests stay exact
and ``survey db upgrade`` is the only thing that ever changes the database.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, LargeBinary, Table, Unicode
from sqlmodel import SQLModel

JOBS_TABLE = "apscheduler_jobs"

apscheduler_jobs = Table(
    JOBS_TABLE,
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
