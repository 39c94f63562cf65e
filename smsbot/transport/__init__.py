"""Transports: the built-in simulator and Vonage (SMS API, Messages API)."""
