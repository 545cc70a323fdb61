"""Fieldwork delivery: channel plans, exactly-once contact attempts (e-mail, SMS, calls), opt-outs,
Twilio webhooks (inbound SMS interviews, status reports, IVR calls) and the fieldwork monitor."""

import logging

log = logging.getLogger(__name__)
