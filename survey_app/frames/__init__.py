"""Contact frames (imported contact lists) and contact governance (do-not-contact, frequency rule).

Read ``models`` for the tables the sampling code draws from: ``Frame`` (only ``status == ready`` is
drawable), ``Contact`` and ``FrameImportIssue``; ``queries.contact_frequency_days`` gives the
contact-frequency rule and ``fieldwork.models.OptOut`` is the do-not-contact list.
"""
