"""Surveys (fielding projects), their cases and personal links, and the interviews they produce."""
