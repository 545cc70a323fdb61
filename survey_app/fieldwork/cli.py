"""``survey fieldwork bounce``: read one bounce (delivery status notification) from standard input.

Meant for a mail server alias that pipes the bounce address's mail to the command, e.g. Postfix
``/etc/aliases`` with ``recipient_delimiter = +``::

    bounces: "|/srv/survey/.venv/bin/survey fieldwork bounce"

(the command needs the app's environment: ``DATABASE_URL``, ``SECRET_KEY``; a wrapper script
that sets them is the usual way). Exit status, as mail servers read it (``sysexits.h``): 0 when
the message was handled, also when it is not a bounce or not ours (retrying would change
nothing; the reason is printed); 75 (EX_TEMPFAIL) when the database cannot be reached, so the
server keeps the message and tries again; 65 (EX_DATAERR) when it cannot be parsed at all, so the
server returns it (to the postmaster, bounces having no sender) instead of losing it.
"""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from survey_app.db import open_session, utcnow
from survey_app.fieldwork.bounces import process_message

log = logging.getLogger(__name__)

EX_DATAERR = 65
EX_TEMPFAIL = 75
#: Set by Postfix's local(8) for a command delivery: the address with its ``+token`` extension.
ENVELOPE_VARIABLES = ("ORIGINAL_RECIPIENT", "RECIPIENT")


@click.command("bounce")
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    metavar="ADDRESS",
    help="The envelope recipient (bounces+token@…) when the mail server passes it "
    "(Postfix's $ORIGINAL_RECIPIENT and $RECIPIENT are read without this option).",
)
@with_appcontext
def bounce_command(recipients: tuple[str, ...]) -> None:
    """Read one message from standard input and record the bounce it reports, if it is one."""
    raw = sys.stdin.buffer.read()
    envelope = [*recipients, *(os.environ[name] for name in ENVELOPE_VARIABLES if os.environ.get(name))]
    secret_key = current_app.config["SECRET_KEY"]
    try:
        with open_session() as session:
            result = process_message(
                session, raw, secret_key=secret_key, now=utcnow(), envelope_recipients=envelope
            )
    except OperationalError as exc:
        click.echo(f"database unavailable, the mail server should retry: {exc.orig or exc}", err=True)
        raise SystemExit(EX_TEMPFAIL) from None
    log.info("bounce: %s", result)
    if result.outcome == "unreadable":
        click.echo(str(result), err=True)
        raise SystemExit(EX_DATAERR)
    click.echo(str(result))
