"""The V4 model's parts that need no chain: fee combination, hook triage, sign conventions, the 100% fee,
serialisation. (Its equality with the PoolManager is proven in tests/integration/amm/test_v4_exactness.py.)"""

from __future__ import annotations

import pytest

from arbbot.amm import base
from arbbot.amm.errors import ContractRevert, InsufficientLiquidity
from arbbot.amm.pancakeswap_v3 import PancakeSwapV3Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v3.tick_math import get_sqrt_ratio_at_tick
from arbbot.amm.uniswap_v4 import hooks
from arbbot.amm.uniswap_v4.pool import SimulationOnly, UniswapV4Pool, swap_fee

WETH, USDC = "0x" + "aa" * 20, "0x" + "bb" * 20
POOL_ID = "0x" + "12" * 32


def _v4(fee: int = 3000, hooks_address: str = "0x" + "00" * 20, protocol_fee: int = 0, lp_fee: int | None = None):
    v3 = UniswapV3Pool.from_positions([(-600, 600, 10**20), (-6000, 6000, 10**19)], get_sqrt_ratio_at_tick(0), 3000)
    return UniswapV4Pool(
        POOL_ID, WETH, USDC, fee, 60, hooks_address, v3.sqrt_price_x96, v3.tick, v3.liquidity,
        fee if lp_fee is None else lp_fee, protocol_fee, True, "0x" + "44" * 20,
        {t: i for t, i in v3.ticks.items()}, dict(v3.bitmap),
    )  # fmt: skip


def test_swap_fee_combines_the_protocol_fee_as_the_pool_manager_does() -> None:
    assert swap_fee(3000, 0) == 3000
    assert swap_fee(3000, 1000) == 1000 + 3000 - 3  # 1000 * 3000 / 1e6 = 3
    assert swap_fee(0, 1000) == 1000
    assert swap_fee(1_000_000, 1000) == 1_000_000
    pool = _v4(protocol_fee=250 | (900 << 12))
    assert pool.swap_fee(True) == swap_fee(3000, 250) and pool.swap_fee(False) == swap_fee(3000, 900)


def test_hook_triage_from_permission_bits() -> None:
    def addr(bits: int) -> str:
        return "0x" + f"{(0xABC << 20) | bits:040x}"

    assert hooks.swap_pricing("0x" + "00" * 20) == "math"
    assert hooks.swap_pricing(addr(hooks.AFTER_INITIALIZE)) == "math"  # a fee-only hook
    assert hooks.swap_pricing(addr(hooks.AFTER_SWAP | hooks.BEFORE_ADD_LIQUIDITY)) == "math"
    assert hooks.swap_pricing(addr(hooks.BEFORE_SWAP)) == "simulation"  # may override the fee or trade first
    assert hooks.swap_pricing(addr(hooks.AFTER_SWAP | hooks.AFTER_SWAP_RETURNS_DELTA)) == "simulation"
    assert hooks.swap_pricing(addr(hooks.BEFORE_SWAP | hooks.BEFORE_SWAP_RETURNS_DELTA)) == "simulation"
    assert hooks.valid_hook_address(addr(hooks.AFTER_INITIALIZE), hooks.DYNAMIC_FEE_FLAG)
    assert not hooks.valid_hook_address(addr(hooks.AFTER_SWAP_RETURNS_DELTA), 3000)  # delta without its action
    assert not hooks.valid_hook_address("0x" + "00" * 20, hooks.DYNAMIC_FEE_FLAG)
    no_bits = "0x" + "11" * 18 + "c000"  # a hook contract whose low 14 bits are all zero
    assert not hooks.valid_hook_address(no_bits, 3000) and hooks.valid_hook_address(no_bits, hooks.DYNAMIC_FEE_FLAG)


def test_sign_convention_and_quotes_agree() -> None:
    pool = _v4()
    r = pool.swap(True, -(10**18))
    assert r.amount0 == -(10**18) and r.amount1 > 0  # the caller pays token0, receives token1
    assert pool.quote_exact_in(WETH, 10**18) == r.amount1
    out = pool.swap(False, 10**15)  # exact output of token0
    assert out.amount0 == 10**15 and out.amount1 < 0
    assert pool.quote_exact_out(USDC, 10**15) == -out.amount1
    before = pool.copy()
    assert pool.apply_swap(WETH, 10**18) == r.amount1
    assert (pool.sqrt_price_x96, pool.tick) == (r.sqrt_price_x96, r.tick) != (before.sqrt_price_x96, before.tick)


def test_a_full_fee_keeps_the_whole_input_and_refuses_exact_output() -> None:
    pool = _v4(fee=1_000_000)
    r = pool.swap(True, -(10**18))
    assert (r.amount0, r.amount1) == (-(10**18), 0) and r.sqrt_price_x96 == pool.sqrt_price_x96
    with pytest.raises(ContractRevert, match="InvalidFeeForExactOut"):
        pool.swap(True, 10**6)


def test_partial_fills_are_refused_by_the_quote() -> None:
    pool = _v4()
    with pytest.raises(InsufficientLiquidity, match="takes only"):
        pool.quote_exact_in(WETH, 10**40)


def test_delta_returning_hooks_are_never_priced_by_math() -> None:
    pool = _v4(hooks_address="0x" + "00" * 18 + "00" + f"{hooks.AFTER_SWAP | hooks.AFTER_SWAP_RETURNS_DELTA:02x}")
    assert pool.pricing == "simulation"
    for call in (lambda: pool.quote_exact_in(WETH, 1), lambda: pool.quote_exact_out(WETH, 1),
                 lambda: pool.apply_swap(WETH, 1)):  # fmt: skip
        with pytest.raises(SimulationOnly):
            call()
    pool.swap(True, -1)  # the math itself is still there (the strategy only ranks by it)


def test_models_round_trip_through_the_registry() -> None:
    pool = _v4(protocol_fee=7, lp_fee=1234)
    back = base.from_dict(pool.to_dict())
    assert isinstance(back, UniswapV4Pool) and back.to_dict() == pool.to_dict()
    assert back.currency0 == "0x" + "00" * 20 and back.native
    cake = PancakeSwapV3Pool.from_positions([(-500, 500, 10**18)], get_sqrt_ratio_at_tick(3), 2500)
    assert cake.tick_spacing == 50 and cake.kind == "pancakeswap_v3"
    copied = base.from_dict(cake.to_dict())
    assert isinstance(copied, PancakeSwapV3Pool) and isinstance(cake.copy(), PancakeSwapV3Pool)
    assert copied.swap(True, 10**15) == cake.swap(True, 10**15)
