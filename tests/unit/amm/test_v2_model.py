"""The V2 pair model's state changes follow the pair's: a swap the pair would revert changes nothing."""

from __future__ import annotations

import pytest

from arbbot.amm.errors import InvalidAmount
from arbbot.amm.uniswap_v2 import UniswapV2Pool

MAX_UINT112 = 2**112 - 1


def test_a_swap_that_would_overflow_the_reserves_raises_and_leaves_them_unchanged() -> None:
    pool = UniswapV2Pool("0xpair", "t0", "t1", MAX_UINT112 - 10, 10**18, 30)
    with pytest.raises(InvalidAmount, match="OVERFLOW"):
        pool.apply_swap("t0", 11)  # reserve0 would be 2**112: `UniswapV2: OVERFLOW`
    assert (pool.reserve0, pool.reserve1) == (MAX_UINT112 - 10, 10**18)


def test_a_swap_up_to_the_limit_is_applied() -> None:
    pool = UniswapV2Pool("0xpair", "t0", "t1", MAX_UINT112 - 10, 10**18, 30)
    out = pool.apply_swap("t0", 10)
    assert (pool.reserve0, pool.reserve1) == (MAX_UINT112, 10**18 - out)
