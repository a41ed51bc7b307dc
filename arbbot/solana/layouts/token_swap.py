"""SPL token-swap pool state: `SwapVersion` byte + `SwapV1` (323 bytes), 324 bytes in all, no discriminator.

Offsets (spl token-swap state.rs): version @0, is_initialized @1, bump_seed @2, token_program_id @3,
token_a @35, token_b @67, pool_mint @99, token_a_mint @131, token_b_mint @163, pool_fee_account @195,
fees 8 x u64 @227 (trade, owner_trade, owner_withdraw, host: numerator then denominator each),
curve_type u8 @291, curve calculator parameters 32 bytes @292.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts._read import check, pubkey, u8, u64
from arbbot.solana.programs import SPL_TOKEN_SWAP

TOKEN_SWAP_LEN = 324
CURVE_CONSTANT_PRODUCT = 0
CURVE_NAMES = {0: "constant product", 1: "constant price", 2: "stable", 3: "offset"}


@dataclass(frozen=True)
class TokenSwapFees:
    """An SPL token-swap pool's fees, each a numerator over a denominator.

    The trade fee stays in the pool; the owner trade fee is paid out in pool tokens; both are taken from
    the input of a swap. The withdraw and host fees do not change a swap's output.
    """

    trade_fee_numerator: int
    trade_fee_denominator: int
    owner_trade_fee_numerator: int
    owner_trade_fee_denominator: int
    owner_withdraw_fee_numerator: int
    owner_withdraw_fee_denominator: int
    host_fee_numerator: int
    host_fee_denominator: int


@dataclass(frozen=True)
class TokenSwapState:
    """An SPL token-swap pool's state: vaults (`token_a`, `token_b`), mints, fees and curve.

    The swap authority is derived from the pool address and `bump_seed`; `curve_type` selects the curve
    (only constant product is quoted) and `curve_parameters` holds that curve's raw 32 bytes.
    """

    version: int
    is_initialized: bool
    bump_seed: int
    token_program_id: Pubkey
    token_a: Pubkey  # vault of mint A
    token_b: Pubkey
    pool_mint: Pubkey
    token_a_mint: Pubkey
    token_b_mint: Pubkey
    pool_fee_account: Pubkey
    fees: TokenSwapFees
    curve_type: int
    curve_parameters: bytes


def decode_token_swap(
    data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None, program: Pubkey = SPL_TOKEN_SWAP
) -> TokenSwapState:
    """`program` is the expected owner: forks of token-swap share the layout under their own ids."""
    check("token-swap pool", address, data, TOKEN_SWAP_LEN, owner, program)
    if data[0] != 1:
        raise AccountLayoutError(f"token-swap pool {address}: version byte is {data[0]}, expected 1")
    fees = TokenSwapFees(*(u64(data, 227 + 8 * i) for i in range(8)))
    state = TokenSwapState(
        version=data[0],
        is_initialized=bool(u8(data, 1)),
        bump_seed=u8(data, 2),
        token_program_id=pubkey(data, 3),
        token_a=pubkey(data, 35),
        token_b=pubkey(data, 67),
        pool_mint=pubkey(data, 99),
        token_a_mint=pubkey(data, 131),
        token_b_mint=pubkey(data, 163),
        pool_fee_account=pubkey(data, 195),
        fees=fees,
        curve_type=u8(data, 291),
        curve_parameters=bytes(data[292:324]),
    )
    if not state.is_initialized:
        raise AccountLayoutError(f"token-swap pool {address}: is_initialized is 0")
    return state
