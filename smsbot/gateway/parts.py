"""The parts a running gateway is made of, as the composition root built them."""

from __future__ import annotations

from dataclasses import dataclass

from smsbot.config import Config
from smsbot.flows.catalog import FlowCatalog
from smsbot.flows.files import Finding
from smsbot.gateway.surveys import Surveys
from smsbot.storage.ports import Store

__all__ = ["Parts"]


@dataclass
class Parts:
    config: Config
    catalog: FlowCatalog
    surveys: Surveys
    findings: list[Finding]
    store: Store  # the storage boundary: units of work (see smsbot.storage.ports)

    async def close(self) -> None:
        await self.store.close()
