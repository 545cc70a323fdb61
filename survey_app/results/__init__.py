"""Results of a survey: outcome counts, responses, per-question summaries and the CSV download.

Test interviews (pilot links) are left out unless asked for; open-link interviews are kept and
marked as a non-probability source.
"""
