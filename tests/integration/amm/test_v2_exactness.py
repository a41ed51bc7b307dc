"""The V2 model equals the deployed UniswapV2Pair to the wei.

For each case the real pair (run in a fork simulation of the replica) receives the input and is asked
for the model's output, which must succeed, and for one wei more, which its K check must refuse:
the model's quote is exactly the most the pair gives. Exact-output quotes must buy at least the output.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_abi import encode
from eth_utils import keccak
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import MAX_UINT112
from arbbot.sim.fork import ForkSimulator
from arbbot.state import lens
from arbbot.state.models import v2_model
from tests.integration.amm.conftest import ExactReplica

EXAMPLES = 2000
_SWAP = keccak(text="swap(uint256,uint256,address,bytes)")[:4]
_MINT = keccak(text="mint(address,uint256)")[:4]
_DEPOSIT = keccak(text="deposit()")[:4]
_TRANSFER = keccak(text="transfer(address,uint256)")[:4]
RECIPIENT = "0x00000000000000000000000000000000000000f1"


@pytest.fixture(scope="module")
def v2_setup(exact_replica: ExactReplica) -> Iterator[tuple[ForkSimulator, list, str, str]]:
    m = exact_replica.manifest
    pools = [p for p in m.pools if p.kind == "uniswap_v2"]
    reserves = lens.read_v2(exact_replica.rpc, [p.address for p in pools])
    models = [
        v2_model(p.address, m.token(p.token0).address, m.token(p.token1).address, reserves[p.address]) for p in pools
    ]
    sim = ForkSimulator(exact_replica.node.url)
    sim.set_eth_balance(m.deployer, 2**200)  # enough to wrap any drawn amount, in this fork only
    yield sim, models, m.deployer, m.token("WETH").address


def _pay(sim: ForkSimulator, payer: str, weth: str, token: str, pair: str, amount: int) -> None:
    """Put `amount` of `token` into the pair (the deployer mints replica tokens and wraps ETH)."""
    if token == weth:
        assert sim.call(payer, weth, _DEPOSIT, value=amount).success
        assert sim.call(payer, weth, _TRANSFER + encode(["address", "uint256"], [pair, amount])).success
    else:
        assert sim.call(payer, token, _MINT + encode(["address", "uint256"], [pair, amount])).success


def _swap_ok(sim: ForkSimulator, caller: str, pool, zero_for_one: bool, amount_out: int) -> bool:
    outs = (0, amount_out) if zero_for_one else (amount_out, 0)
    data = _SWAP + encode(["uint256", "uint256", "address", "bytes"], [*outs, RECIPIENT, b""])
    result = sim.call(caller, pool.address, data)
    # Only the pair's own checks may fail here, never the transaction envelope (gas, funds).
    assert result.success or "UniswapV2" in result.revert_reason, result.revert_reason
    return result.success


def _amounts() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=95).flatmap(
        lambda e: st.integers(min_value=max(1, 1 << e), max_value=(1 << (e + 1)) - 1)
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool_index=st.integers(min_value=0, max_value=2), zero_for_one=st.booleans(), amount=_amounts())
@example(pool_index=1, zero_for_one=True, amount=1)  # 1 wei into the thin pool
@example(pool_index=1, zero_for_one=False, amount=2**95)  # drains the thin pool to its last units
@example(pool_index=2, zero_for_one=True, amount=3)  # 8-decimal token side
def test_exact_in_is_the_most_the_pair_gives(
    v2_setup: tuple[ForkSimulator, list, str, str], pool_index: int, zero_for_one: bool, amount: int
) -> None:
    sim, models, payer, weth = v2_setup
    pool = models[pool_index]
    reserve_in = pool.reserve0 if zero_for_one else pool.reserve1
    if reserve_in + amount > MAX_UINT112:
        with pytest.raises(AmmError):
            pool.copy().apply_swap(pool.token0 if zero_for_one else pool.token1, amount)
        return
    token_in = pool.token0 if zero_for_one else pool.token1
    out = pool.quote_exact_in(token_in, amount)
    cp = sim.checkpoint()
    try:
        _pay(sim, payer, weth, token_in, pool.address, amount)
        if out > 0:
            inner = sim.checkpoint()
            assert _swap_ok(sim, payer, pool, zero_for_one, out), "the pair refused the model's output"
            sim.revert(inner)
        assert not _swap_ok(sim, payer, pool, zero_for_one, out + 1), "the pair would give more than the model"
    finally:
        sim.revert(cp)


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool_index=st.integers(min_value=0, max_value=2), zero_for_one=st.booleans(), amount=_amounts())
def test_exact_out_input_buys_the_output(
    v2_setup: tuple[ForkSimulator, list, str, str], pool_index: int, zero_for_one: bool, amount: int
) -> None:
    sim, models, payer, weth = v2_setup
    pool = models[pool_index]
    token_in = pool.token0 if zero_for_one else pool.token1
    reserve_out = pool.reserve1 if zero_for_one else pool.reserve0
    if amount >= reserve_out:
        with pytest.raises(AmmError):
            pool.quote_exact_out(token_in, amount)
        return
    needed = pool.quote_exact_out(token_in, amount)
    if (pool.reserve0 if zero_for_one else pool.reserve1) + needed > MAX_UINT112:
        return  # the pair could not hold that much input at all
    cp = sim.checkpoint()
    try:
        _pay(sim, payer, weth, token_in, pool.address, needed)
        assert _swap_ok(sim, payer, pool, zero_for_one, amount)
        assert pool.quote_exact_in(token_in, needed) >= amount  # the two directions agree
    finally:
        sim.revert(cp)
