"""Questionnaire design: drafts, published versions, the builder and definition editor, templates."""

import logging

log = logging.getLogger(__name__)
