"""/ui/flows: every flow the gateway runs, its SMS per language, the linter, a diagram.

    GET /ui/flows          the flows, and files that could not be loaded, with their findings
    GET /ui/flows/{id}     one flow: questions per language with segments and encoding, the
                           linter's findings (file:line), which question leads where

Findings are read from the files now (as `smsbot flows check` does); the texts are those of
the version the gateway runs (a changed file is loaded at the next start).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

from aiohttp import web

from smsbot.flows.files import Finding, declared_and_findings, flow_files
from smsbot.gateway.runner import Gateway
from smsbot.webui.flow_view import flow_view
from smsbot.webui.render import render

__all__ = ["routes"]


def routes(gateway: Gateway) -> list[web.RouteDef]:
    page = _Flows(gateway)
    return [web.get("/ui/flows", page.index), web.get("/ui/flows/{id}", page.one)]


class _Flows:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.directory = Path(gateway.config.flows.dir)

    def _files(self) -> tuple[dict[str, list[Finding]], list[tuple[str, list[Finding]]]]:
        """Findings per flow id, and the files that hold no loadable flow (reads the files:
        run it in a thread)."""
        paths = flow_files(self.directory) if self.directory.is_dir() else []
        declared, findings = declared_and_findings(paths)
        by_flow: dict[str, list[Finding]] = defaultdict(list)
        broken: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            flow_id = declared.get(finding.file)
            if flow_id is None:
                broken[finding.file].append(finding)
            else:
                by_flow[flow_id].append(finding)
        return by_flow, list(broken.items())

    async def index(self, request: web.Request) -> web.Response:
        by_flow, broken = await asyncio.to_thread(self._files)
        views = [flow_view(f, by_flow.get(f.id, [])) for f in self.gateway.catalog.flows()]
        return await render(
            request,
            "flows.html",
            flows=views,
            broken=broken,
            directory=str(self.directory),
            unsigned_webhooks=self.gateway.config.webhook_signing == "unsigned_allowed",
        )

    async def one(self, request: web.Request) -> web.Response:
        flow = self.gateway.catalog.get(request.match_info["id"])
        if flow is None:
            text = f"There is no flow '{request.match_info['id']}' in {self.directory}."
            return await render(
                request, "message.html", status=404, title="No such flow", text=text
            )
        by_flow, _ = await asyncio.to_thread(self._files)
        view = flow_view(flow, by_flow.get(flow.id, []))
        return await render(request, "flow.html", flow=view)
