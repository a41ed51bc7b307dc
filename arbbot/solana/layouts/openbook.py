"""OpenBook / Serum v3 `MarketState` (388 bytes incl. the 5-byte head and 7-byte tail padding).

Raydium AMM v4 `swap_base_in` names the pool's market accounts, so the searcher reads them from here.
Offsets: head "serum" @0, account_flags u64 @5, own_address @13, vault_signer_nonce u64 @45,
coin_mint @53, pc_mint @85, coin_vault @117, coin_deposits_total @149, coin_fees_accrued @157,
pc_vault @165, pc_deposits_total @197, pc_fees_accrued @205, pc_dust_threshold @213, request_queue @221,
event_queue @253, bids @285, asks @317, coin_lot_size @349, pc_lot_size @357, fee_rate_bps @365,
referrer_rebates_accrued @373, tail "padding" @381.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts._read import check, pubkey, u64

MARKET_LEN = 388
HEAD, TAIL = b"serum", b"padding"


@dataclass(frozen=True)
class MarketState:
    """The accounts of an OpenBook / Serum v3 market that Raydium AMM v4's `swap_base_in` names."""

    address: Pubkey
    program: Pubkey
    vault_signer_nonce: int
    coin_mint: Pubkey
    pc_mint: Pubkey
    coin_vault: Pubkey
    pc_vault: Pubkey
    event_queue: Pubkey
    bids: Pubkey
    asks: Pubkey

    @property
    def vault_signer(self) -> Pubkey:
        """The vault signer PDA: the market address and `vault_signer_nonce`, under the market program."""
        return Pubkey.create_program_address(
            [bytes(self.address), self.vault_signer_nonce.to_bytes(8, "little")], self.program
        )


def decode_market(data: bytes, address: Pubkey, owner: Pubkey, program: Pubkey) -> MarketState:
    """`program` is the market program the Raydium pool names (its `market_program`)."""
    check("OpenBook market", address, data, MARKET_LEN, owner, program)
    if data[:5] != HEAD or data[381:] != TAIL:
        raise AccountLayoutError(f"OpenBook market {address}: missing the 'serum'/'padding' head and tail")
    return MarketState(
        address=address,
        program=program,
        vault_signer_nonce=u64(data, 45),
        coin_mint=pubkey(data, 53),
        pc_mint=pubkey(data, 85),
        coin_vault=pubkey(data, 117),
        pc_vault=pubkey(data, 165),
        event_queue=pubkey(data, 253),
        bids=pubkey(data, 285),
        asks=pubkey(data, 317),
    )
