"""The flows the service knows: the current files, and every stored version they had."""

from __future__ import annotations

from collections.abc import Iterable

from smsbot.engine.definition import flow_from_source
from smsbot.engine.model import Flow
from smsbot.storage.ports import Tx

__all__ = ["FlowCatalog", "UnknownFlowError"]


class UnknownFlowError(LookupError):
    pass


class FlowCatalog:
    def __init__(self, flows: Iterable[Flow]) -> None:
        self._current = {flow.id: flow for flow in flows}
        self._versions = {(flow.id, flow.version): flow for flow in self._current.values()}

    def flows(self) -> list[Flow]:
        return sorted(self._current.values(), key=lambda f: f.id)

    def get(self, flow_id: str) -> Flow | None:
        return self._current.get(flow_id)

    def for_trigger(self, event_type: str) -> Flow | None:
        for flow in self._current.values():
            if event_type in flow.triggers:
                return flow
        return None

    async def resolve(self, tx: Tx, flow_id: str, version: str) -> Flow:
        """The exact version a conversation started with, even if the file changed since."""
        cached = self._versions.get((flow_id, version))
        if cached is not None:
            return cached
        source = await tx.conversations.flow_definition(flow_id, version)
        if source is None:
            raise UnknownFlowError(f"flow {flow_id!r} version {version!r} is not stored")
        flow = flow_from_source(source)
        self._versions[(flow_id, version)] = flow
        return flow
