"""Prometheus metrics, one registry per gateway (so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter(
            "smsbot_events",
            "Service events received, by decision and reason",
            ["decision", "reason"],
            registry=r,
        )
        self.source_requests = Counter(
            "smsbot_source_requests",
            "Requests to post service events, by source and answer (accepted, limited)",
            ["source", "answer"],
            registry=r,
        )
        self.messages_in = Counter(
            "smsbot_messages_in", "SMS received, by outcome", ["outcome"], registry=r
        )
        self.messages_out = Counter(
            "smsbot_messages_out", "SMS send attempts, by status", ["status"], registry=r
        )
        self.receipts = Counter(
            "smsbot_receipts", "Delivery receipts, by status", ["status"], registry=r
        )
        self.webhooks = Counter(
            "smsbot_webhooks",
            "Webhook requests, by endpoint and answer",
            ["endpoint", "answer"],
            registry=r,
        )
        self.send_seconds = Histogram(
            "smsbot_send_seconds", "Time the provider took to accept an SMS", registry=r
        )
        self.conversations = Gauge(
            "smsbot_conversations", "Conversations by state", ["state"], registry=r
        )
        self.provider_up = Gauge(
            "smsbot_provider_up",
            "1 while the SMS provider answers, 0 while it is down (the sender probes it)",
            registry=r,
        )
        self.provider_up.set(1)
        self.queue_depth = Gauge(
            "smsbot_outbox_queued", "Messages waiting in the outbox", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
