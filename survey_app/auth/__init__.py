"""Staff accounts, sign-in, roles and the access declarations every route carries."""

import logging

log = logging.getLogger(__name__)
