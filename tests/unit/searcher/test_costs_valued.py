"""The judge for a route whose profit is not WETH: valued in ETH, bribed with attached ETH, guarded on chain
by the smallest token profit whose ETH value still pays everything."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.strategy.costs import Verdict, attached_bribe, judge_valued, min_token_profit
from arbbot.strategy.valuation import eth_value

WETH = "0x1000000000000000000000000000000000000001"
USDC = "0x8000000000000000000000000000000000000008"


def _pool_value(weth_reserve: int, usdc_reserve: int) -> Callable[[int], int | None]:
    pool = UniswapV2Pool("0x" + "a1" * 20, WETH, USDC, weth_reserve, usdc_reserve)

    def worth(amount: int) -> int | None:
        v = eth_value(amount, USDC, WETH, [pool], min_depth=0)
        return None if v is None else v.wei

    return worth


@given(
    reserves=st.tuples(st.integers(10**18, 10**24), st.integers(10**9, 10**15)),
    gross=st.integers(0, 10**9),
    need=st.integers(0, 10**18),
)
def test_min_token_profit_is_the_smallest_amount_worth_enough(reserves: tuple[int, int], gross: int, need: int) -> None:
    worth = _pool_value(*reserves)
    got = min_token_profit(need, gross, worth)
    top = worth(gross)
    if top is None or top < need:
        assert got is None
        return
    assert got is not None and 0 <= got <= gross
    v = worth(got)
    assert v is not None and v >= need
    if got > 0:  # one unit less is not enough: the smallest
        below = worth(got - 1)
        assert below is None or below < need


def _verdict(**overrides: object) -> Verdict:
    args = dict(sim_success=True, sim_gross_profit=1_000, model_gross_profit=1_000, gross_eth=10**16,
                bribe=5 * 10**15, gas_charged=200_000, fee_per_gas=10**9, min_profit=0, max_gas=10**6,
                fee_cap=10**11)  # fmt: skip
    args.update(overrides)
    return judge_valued(**args)  # type: ignore[arg-type]


def test_judge_valued_sends_only_when_the_eth_value_pays_bribe_gas_and_minimum() -> None:
    ok = _verdict()
    assert ok.send and ok.net_profit == 10**16 - 5 * 10**15 - 200_000 * 10**9
    assert not _verdict(gross_eth=None).send  # no trusted valuation: never sent
    assert "valuation" in _verdict(gross_eth=None).reason
    assert not _verdict(sim_success=False).send
    assert not _verdict(sim_gross_profit=999).send  # simulation disagrees with the model
    assert not _verdict(gas_charged=2 * 10**6).send
    assert not _verdict(fee_per_gas=10**12).send
    assert not _verdict(bribe=10**16 - 200_000 * 10**9).send  # net exactly zero
    assert not _verdict(min_profit=ok.net_profit + 1).send
    assert _verdict(min_profit=ok.net_profit).send


@given(gross_eth=st.integers(0, 10**20), share=st.integers(0, 10_000), gas=st.integers(1, 10**6),
       fee=st.integers(1, 10**11))  # fmt: skip
def test_a_sent_valued_verdict_always_means_eth_profit_after_bribe_and_gas(
    gross_eth: int, share: int, gas: int, fee: int
) -> None:
    bribe = attached_bribe(gross_eth, share)
    assert bribe == gross_eth * share // 10_000
    v = _verdict(gross_eth=gross_eth, bribe=bribe, gas_charged=gas, fee_per_gas=fee, max_gas=10**6, fee_cap=10**11)
    assert v.send == (gross_eth - bribe - gas * fee > 0)
    if v.send:
        assert v.net_profit == gross_eth - bribe - gas * fee > 0
