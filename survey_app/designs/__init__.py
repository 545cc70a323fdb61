"""Questionnaire design: drafts, published versions, the builder and definition editor, templates."""
