"""The web respondent channel: personal and open links, one page at a time, save and resume."""
