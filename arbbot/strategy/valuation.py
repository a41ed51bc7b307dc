"""What an amount of a token is worth in ETH at this block, from the deepest trusted WETH pool.

Pure: pool models in, integers out, no I/O. A cycle whose profit is not WETH is judged, bribed and
audited by this number, so it is conservative and fails closed:

- Source: among the known pools that pair WETH with the token, the one with the most WETH on its side
  ("depth"): a V2 pair's WETH reserve; a V3 or V4 pool's virtual WETH reserve at its current price and
  in-range liquidity (L * 2^96 / sqrtP when WETH is token0, L * sqrtP / 2^96 when token1). Ties go to
  the lower address, so the choice is deterministic.
- Value: an exact quote of selling the whole amount through that pool (its own integer math, fee and
  price impact included), not the spot price: what the profit would really fetch in WETH now, never more.
- Refusal (None, and so no trade): no such pool; the deepest has less than `min_depth` wei of WETH;
  or the quote fails. Pools the cycle trades through are never a source (the cycle itself, or the
  transaction it backruns, moves their price in the very block being valued), nor are V4 pools whose
  hook can change swap amounts or whose fee a hook sets: a price anyone can shift inside the block is
  not a price. Only pools in the caller's store are considered, i.e. pools discovery found at the known
  factories, the same ones the searcher would trade through; a pool someone deployed to fake a price is
  not among them, and a thin one cannot reach `min_depth`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from arbbot.amm.base import Pool
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool

Q96 = 1 << 96
ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_MIN_DEPTH = 10 * 10**18  # 10 ETH of WETH on the pool's side


@dataclass(frozen=True)
class EthValue:
    """`amount` of `token` is worth `wei` of ETH: what selling it through `pool` would return."""

    token: str
    amount: int
    wei: int
    pool: str  # the source pool (a V4 PoolId for V4)
    depth: int  # the source's WETH-side depth, wei


def weth_depth(pool: Pool, weth: str) -> int:
    """WETH on `pool`'s side (wei); 0 when the pool does not hold WETH or has no measurable depth."""
    w = weth.lower()
    is0 = pool.token0.lower() == w
    if not is0 and pool.token1.lower() != w:
        return 0
    if isinstance(pool, UniswapV2Pool):
        return pool.reserve0 if is0 else pool.reserve1
    if isinstance(pool, UniswapV3Pool | UniswapV4Pool):
        sqrt_p, liquidity = pool.sqrt_price_x96, pool.liquidity
        if sqrt_p <= 0 or liquidity <= 0:
            return 0
        return liquidity * Q96 // sqrt_p if is0 else liquidity * sqrt_p // Q96
    return 0


def trusted_source(pool: Pool) -> bool:
    """Whether `pool`'s price is fixed by its math alone: not a V4 pool with a swap-changing hook or a
    hook-set fee."""
    underlying = getattr(pool, "model", None)
    if isinstance(underlying, Pool):
        return False  # a simulation-priced wrapper: its price is not its math
    if isinstance(pool, UniswapV4Pool):
        return pool.hooks.lower() == ZERO_ADDRESS and not pool.dynamic_fee
    return isinstance(pool, UniswapV2Pool | UniswapV3Pool)


def deepest_pool(pools: Iterable[Pool], token: str, weth: str, exclude: Iterable[str] = ()) -> tuple[Pool, int] | None:
    """The trusted WETH/`token` pool with the most WETH depth, not in `exclude` (addresses, any case)."""
    t, w = token.lower(), weth.lower()
    skip = {a.lower() for a in exclude}
    best: tuple[Pool, int] | None = None
    for pool in pools:
        pair = {pool.token0.lower(), pool.token1.lower()}
        if pair != {t, w} or pool.address.lower() in skip or not trusted_source(pool):
            continue
        depth = weth_depth(pool, weth)
        if depth <= 0:
            continue
        if best is None or depth > best[1] or (depth == best[1] and pool.address.lower() < best[0].address.lower()):
            best = (pool, depth)
    return best


def eth_value(
    amount: int,
    token: str,
    weth: str,
    pools: Iterable[Pool],
    *,
    exclude: Iterable[str] = (),
    min_depth: int = DEFAULT_MIN_DEPTH,
) -> EthValue | None:
    """ETH value of `amount` (>= 0) of `token`; WETH is worth itself. None: no trusted valuation."""
    if amount < 0:
        raise ValueError(f"amount: must be >= 0, got {amount}")
    if token.lower() == weth.lower():
        return EthValue(token, amount, amount, weth, 0)
    found = deepest_pool(pools, token, weth, exclude)
    if found is None or found[1] < min_depth:
        return None
    pool, depth = found
    if amount == 0:
        return EthValue(token, 0, 0, pool.address, depth)
    wei = _sale(pool, token, amount)
    return None if wei is None else EthValue(token, amount, wei, pool.address, depth)


def _sale(pool: Pool, token: str, amount: int) -> int | None:
    """WETH out for exactly `amount` of `token`; None when the pool cannot take all of it."""
    token_in = pool.token0 if pool.token0.lower() == token.lower() else pool.token1
    try:
        if isinstance(pool, UniswapV3Pool):
            # A V3 swap stops at the price bound and takes only part of the input: never a valuation.
            zero_for_one = token_in == pool.token0
            r = pool.swap(zero_for_one, amount)
            paid, got = (r.amount0, r.amount1) if zero_for_one else (r.amount1, r.amount0)
            return -got if paid == amount else None
        return pool.quote_exact_in(token_in, amount)  # V2 and V4 refuse what they cannot fill
    except (ArithmeticError, ValueError):  # not enough liquidity, or beyond the type's range
        return None
