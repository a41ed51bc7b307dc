"""A route mint as the chain holds it: which token program it belongs to and, for Token-2022, its transfer
fee. A mint arb_executor refuses (a transfer hook, a permanent delegate, confidential transfers...) is
refused here too, before any route is built on it."""

from __future__ import annotations

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts import token_2022 as t22
from arbbot.solana.programs import TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from arbbot.solana.quote.transfer_fee import TransferFeeConfig, mint_transfer_fee_config
from arbbot.solana.rpc import AccountData


def read_mint(acc: AccountData | None, key: Pubkey, what: str) -> tuple[Pubkey, TransferFeeConfig | None]:
    """(token program, transfer fee or None) of mint `key`; `what` names the pool in errors."""
    if acc is None:
        raise AccountLayoutError(f"{what}: mint {key} does not exist")
    if acc.owner == TOKEN_PROGRAM:
        return TOKEN_PROGRAM, None
    if acc.owner != TOKEN_2022_PROGRAM:
        raise AccountLayoutError(f"{what}: mint {key} is owned by {acc.owner}, neither SPL Token nor Token-2022")
    refused = set(t22.decode_mint_2022(acc.data, key, acc.owner).extensions) - t22.MINT_EXTENSIONS_ALLOWED
    if refused:
        raise AccountLayoutError(f"{what}: mint {key} has Token-2022 extensions {sorted(refused)}")
    return TOKEN_2022_PROGRAM, mint_transfer_fee_config(acc.data, key)
