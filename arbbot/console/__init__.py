"""The operator console: a web application over the searcher's control API, with users, roles, TOTP MFA,
server-side sessions, CSRF protection, scoped API tokens and an append-only audit trail.

A top layer, like `arbbot.cli`: nothing in the library imports it.
"""
