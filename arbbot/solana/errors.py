"""Errors of the Solana searcher. Each message names the account, field or endpoint and the offending value."""

from __future__ import annotations

from arbbot.errors import ArbbotError


class SolanaError(ArbbotError):
    """Base for everything raised by `arbbot.solana`."""


class AccountLayoutError(SolanaError):
    """An account has the wrong size, owner or discriminator for the layout asked for."""


class UnknownPoolProgram(SolanaError):
    """An account is owned by a program that is not a supported venue."""


class QuoteError(SolanaError):
    """The venue program would fail this swap (zero liquidity, out of tick arrays, overflow...)."""


class RouteTooLarge(SolanaError):
    """The route's accounts or bytes do not fit one transaction, even with the lookup tables given."""


class IdlError(SolanaError):
    """The program IDL is missing, malformed or does not describe the instruction asked for."""


class SolanaRpcError(SolanaError):
    """A Solana JSON-RPC endpoint answered with an error object."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        super().__init__(f"Solana RPC {method} error {code}: {message}")
        self.method, self.code, self.message = method, code, message


class SolanaTransportError(SolanaError):
    """The endpoint could not be reached, rate-limited us past all retries, or answered garbage."""


class StaleBlockhash(SolanaError):
    """A transaction's recent blockhash is no longer accepted; rebuild and re-sign before sending."""


class JitoError(SolanaError):
    """A Jito block engine rejected a bundle or answered something unusable."""


class FeeFloorError(SolanaError):
    """A route's expected profit does not pay for landing it (signature, priority fee, tip), or its fees
    cannot be valued in its base token."""
