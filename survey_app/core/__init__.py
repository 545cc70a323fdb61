"""The staff home page and the health check."""

import logging

log = logging.getLogger(__name__)
