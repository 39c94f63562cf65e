"""Platform webhook payloads, built from each platform's published formats.

- Genesys Cloud: the Amazon EventBridge event envelope (version, id, detail-type, source, account,
  time, region, resources, detail) around a Genesys Cloud notification (topicName, version,
  eventBody, metadata, timestamp) whose eventBody is the analytics detail event CustomerEndEvent;
  its field names and types follow the Platform API client model
  CustomerEndDetailEventTopicCustomerEndEvent (eventTime epoch ms, conversationId,
  participantId, sessionId, disconnectType, mediaType, provider, direction, ani, dnis,
  queueId, divisionId).
- Zendesk: the JSON body a trigger's "Notify active webhook" action sends, as written in the
  trigger with Zendesk placeholders (mappings/zendesk.yaml shows the body), and the signature
  Zendesk documents: base64(HMAC-SHA256(timestamp + body)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

QUEUE_NORTH = "3b2c1a9e-5d4f-4c8e-9a7b-1e2d3c4b5a60"


def genesys_customer_end(
    moment: datetime,
    *,
    conversation: str = "5f2a9c1e-7b3d-4e8a-9c6f-0d1e2f3a4b5c",
    ani: str = "tel:+46701740642",
    queue: str = QUEUE_NORTH,
    media: str = "VOICE",
    topic_kind: str = "customer.end",
) -> dict[str, Any]:
    topic = f"v2.detail.events.conversation.{conversation}.{topic_kind}"
    return {
        "version": "0",
        "id": "a6f5c6c2-2a8b-4b38-8f26-7c3f2d3e4b5a",
        "detail-type": topic,
        "source": "aws.partner/genesys.com/cloud/2b5c1d3e-4f6a-4b8c-9d0e-1f2a3b4c5d6e/smsbot",
        "account": "123456789012",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-north-1",
        "resources": [],
        "detail": {
            "topicName": topic,
            "version": "2",
            "eventBody": {
                "eventTime": int(moment.timestamp() * 1000),
                "conversationId": conversation,
                "participantId": "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b",
                "sessionId": "9f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19",
                "disconnectType": "peer",
                "mediaType": media,
                "provider": "Edge",
                "direction": "INBOUND",
                "ani": ani,
                "dnis": "tel:+46101234567",
                "queueId": queue,
                "divisionId": "1d2c3b4a-5968-4778-8695-a4b3c2d1e0f9",
            },
            "metadata": {"CorrelationId": "c0ffee00-1234-4abc-8def-0123456789ab"},
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        },
    }


def zendesk_solved(
    moment: datetime,
    *,
    ticket: int = 35436,
    phone: str = "+46 70 174 06 43",
    group: str = "Kundtjänst Nord",
    status: str = "Solved",
) -> dict[str, Any]:
    solved_at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "event_id": f"{ticket}-{solved_at}",
        "ticket_id": str(ticket),
        "status": status,
        "phone": phone,
        "group": group,
        "solved_at": solved_at,
        "brand": "Örebro kommun",
    }
