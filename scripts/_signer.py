"""The account the scripts sign with: an ape keystore alias or a key in the environment, never the repo.

`ARBBOT_APE_ACCOUNT=alias` loads `~/.ape/accounts/alias.json` (ape asks for the passphrase, or reads
APE_ACCOUNTS_<alias>_PASSPHRASE). `ARBBOT_PRIVATE_KEY=0x…` signs in memory; the key is never printed.
"""

from __future__ import annotations

import os

import click
from ape import accounts
from ape.api import AccountAPI
from ape_accounts.accounts import ApeSigner


def signer() -> AccountAPI:
    alias = os.environ.get("ARBBOT_APE_ACCOUNT", "").strip()
    key = os.environ.get("ARBBOT_PRIVATE_KEY", "").strip()
    if alias and key:
        raise click.UsageError("set either ARBBOT_APE_ACCOUNT or ARBBOT_PRIVATE_KEY, not both")
    if alias:
        try:
            return accounts.load(alias)
        except KeyError:
            known = ", ".join(sorted(a.alias for a in accounts if getattr(a, "alias", None))) or "none"
            raise click.UsageError(
                f"ARBBOT_APE_ACCOUNT: no ape account {alias!r} (known: {known}); import one with "
                f"`ape accounts import {alias}`"
            ) from None
    if key:
        hexkey = key.removeprefix("0x")
        if len(hexkey) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hexkey):
            # Say what is wrong without echoing any of the value.
            raise click.UsageError("ARBBOT_PRIVATE_KEY: not a 32-byte hex private key")
        return ApeSigner(private_key="0x" + hexkey)
    raise click.UsageError(
        "no account: set ARBBOT_APE_ACCOUNT to an ape keystore alias (`ape accounts import NAME`) "
        "or ARBBOT_PRIVATE_KEY in the environment"
    )


def address(value: str, field: str) -> str:
    from eth_utils import is_address, to_checksum_address

    if not is_address(value):
        raise click.BadParameter(f"not an address: {value!r}", param_hint=field)
    return to_checksum_address(value)
