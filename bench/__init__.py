"""`make bench`: the gateway under load, against a bare aiohttp ceiling, and at scale points."""
