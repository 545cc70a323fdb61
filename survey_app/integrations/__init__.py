"""Clients of outside services (Twilio, SMTP), each built in exactly one place from the settings."""
