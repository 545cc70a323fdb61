"""Questionnaires: definitions, the logic language, validation and the one interview engine.

Pure Python: nothing here imports Flask, SQL or Twilio, so every channel and every tool (the CLI,
notebooks, tests) drives exactly the same logic. See ``questionnaires/README.md``.
"""
