"""People and their rights (issue 15): who may do what, over which units; local passwords,
sign-in throttling, API tokens, the mapping of an identity provider's people, the audit log.

No SQL and no aiohttp here: storage is reached through `smsbot.storage.ports.Store`, and the web
layers (smsbot.gateway.access, smsbot.webui.auth, smsbot.http.app) apply these rules to requests.
"""
