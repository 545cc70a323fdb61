"""Channel adapters: web pages, SMS conversations, automated calls, interviewer scripts, e-mail.

Adapters may import ``questionnaires``, ``twilio`` and ``wtforms``, never Flask or the
application; they render engine steps and parse what came back, and never send anything.
"""

from channels.base import (
    Channel,
    Control,
    Inbound,
    Outbound,
    ParsedInbound,
    channel_names,
    get_channel,
    register,
)

__all__ = [
    "Channel",
    "Control",
    "Inbound",
    "Outbound",
    "ParsedInbound",
    "channel_names",
    "get_channel",
    "register",
]
