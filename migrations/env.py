"""Alembic environment: the app's engine and every table registered in ``survey_app.models``.

``survey_app.schema`` passes an open connection in ``config.attributes["connection"]``. Run as
plain ``alembic -c migrations/alembic.ini``, this file builds the app to find the database URL.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import survey_app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from survey_app.schema import COMPARE_OPTIONS

config = context.config
target_metadata = SQLModel.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        **COMPARE_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    from survey_app import create_app
    from survey_app.db import get_engine

    with get_engine(create_app()).begin() as connection:
        run_with(connection)


def run_offline() -> None:
    from survey_app import create_app

    url = create_app().config["DATABASE_URL"]
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, **COMPARE_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
