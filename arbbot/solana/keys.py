"""The signing key, from a keypair file or an environment variable. Its value is never printed, logged or stored."""

from __future__ import annotations

import json
import os
from pathlib import Path

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


def keypair_from_file(path: Path) -> Keypair:
    """A solana-keygen keypair file (JSON array of 64 bytes). Errors name the file, never its content."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise SolanaError(f"keypair file {path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return Keypair.from_bytes(bytes(json.loads(text)))
    except (ValueError, TypeError):
        raise SolanaError(f"keypair file {path} does not hold a keypair (JSON array of 64 bytes)") from None


def load_keypair(path: Path | None = None, env: str = DEFAULT_KEYPAIR_ENV) -> Keypair | None:
    """The key from `path` if given, else from the environment variable `env`; None if neither is set."""
    if path is not None:
        return keypair_from_file(path)
    return keypair_from_env(env)


def associated_token_address(owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM) -> Pubkey:
    """The owner's associated account for `mint`; the mint's token program is part of the address (a
    Token-2022 mint's account is not the SPL Token one)."""
    seeds = [bytes(owner), bytes(token_program), bytes(mint)]
    return Pubkey.find_program_address(seeds, ASSOCIATED_TOKEN_PROGRAM)[0]
