"""smsbot: two-way SMS conversational surveys for public services."""

__version__ = "0.1.0"
