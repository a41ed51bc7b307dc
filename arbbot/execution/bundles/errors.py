"""Errors of the bundle client. Every message names the endpoint (builder or node) and the JSON-RPC method.

Messages never contain keys, auth headers or request bodies; URLs are shown without user-info or query
(where hosted endpoints put API keys).
"""

from __future__ import annotations

from typing import Any

from arbbot.errors import ArbbotError


class BundleError(ArbbotError):
    """Base for everything raised by `arbbot.execution.bundles`."""


class SignatureError(BundleError):
    """An X-Flashbots-Signature header could not be built or does not verify."""


class EndpointError(BundleError):
    """A request to one endpoint failed. `endpoint` is the builder/node name, `method` the JSON-RPC method.

    `kind` is the failure class of the node transport (arbbot.chain.jsonrpc.KINDS), for metrics.
    """

    kind = "connection"

    def __init__(self, endpoint: str, method: str, detail: str, *, kind: str | None = None) -> None:
        super().__init__(f"{endpoint} {method}: {detail}")
        self.endpoint = endpoint
        self.method = method
        self.detail = detail
        if kind is not None:
            self.kind = kind


class EndpointTimeout(EndpointError):
    """No complete answer within the per-request timeout."""

    kind = "timeout"


class EndpointUnreachable(EndpointError):
    """Connection refused/reset, DNS failure, TLS failure."""

    kind = "connection"


class EndpointHttpError(EndpointError):
    """A non-200 HTTP status without a usable JSON-RPC error object."""

    kind = "http_status"

    def __init__(self, endpoint: str, method: str, status: int, excerpt: str) -> None:
        super().__init__(endpoint, method, f"HTTP {status}: {excerpt}" if excerpt else f"HTTP {status}")
        self.status = status
        self.excerpt = excerpt


class EndpointBadResponse(EndpointError):
    """The answer is not JSON, not a JSON-RPC response object, or its result has the wrong shape (kind
    "malformed"); or it was cut short ("truncated") or over the size cap ("too_large")."""

    kind = "malformed"


class EndpointRpcError(EndpointError):
    """The endpoint answered with a JSON-RPC error (possibly with a non-200 HTTP status, e.g. 403 on auth)."""

    kind = "rpc_error"

    def __init__(
        self,
        endpoint: str,
        method: str,
        code: int | None,
        message: str,
        data: Any = None,
        http_status: int = 200,
    ) -> None:
        status = f" (HTTP {http_status})" if http_status != 200 else ""
        code_text = f"error {code}" if code is not None else "error"
        super().__init__(endpoint, method, f"{code_text}: {message}{status}")
        self.code = code
        self.message = message
        self.data = data
        self.http_status = http_status


class NonceTooLowError(EndpointRpcError):
    """An endpoint rejected a transaction because its nonce is already used (the nonce manager resyncs)."""
