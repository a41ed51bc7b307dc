"""The signing key, from an environment variable only. Its value is never printed, logged or stored."""

from __future__ import annotations

import json
import os

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.errors import SolanaError
from arbbot.solana.programs import TOKEN_PROGRAM

DEFAULT_KEYPAIR_ENV = "ARBBOT_SOLANA_KEYPAIR"
ASSOCIATED_TOKEN_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")


def keypair_from_env(name: str = DEFAULT_KEYPAIR_ENV) -> Keypair | None:
    """A keypair from `name`: a JSON array of 64 bytes (solana-keygen file content) or base58. None if unset."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        if text.startswith("["):
            return Keypair.from_bytes(bytes(json.loads(text)))
        return Keypair.from_base58_string(text)
    except (ValueError, TypeError):
        # The message names the variable, never its content.
        raise SolanaError(
            f"environment variable {name} does not hold a valid keypair (JSON byte array or base58)"
        ) from None


def associated_token_address(owner: Pubkey, mint: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([bytes(owner), bytes(TOKEN_PROGRAM), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM)[0]
