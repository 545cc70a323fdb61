"""The worker process: one APScheduler with its job store in the app database (``survey worker``)."""

import logging

log = logging.getLogger(__name__)
