"""The audit on every capital source of the executor: the loan (lender, token, amount, fee) is read from
its event, the lender's own flash swap is not mistaken for a hop, and the profit after the fee is exact."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from arbbot.audit.auditor import Auditor
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import aave
from arbbot.execution.route import Capital, Route, aave_premium, v2_flash_fee, v3_flash_fee
from arbbot.strategy.sizing import bracketed_optimum
from tests.conftest import Replica
from tests.integration.audit import trades

PROTOCOL = {
    Capital.OWN: "",
    Capital.BALANCER: "balancer",
    Capital.V2_FLASH: "uniswap_v2",
    Capital.V3_FLASH: "uniswap_v3",
    Capital.AAVE: "aave_v3",
}


@pytest.fixture(scope="module")
def aave_market(replica_session: Replica) -> Iterator[dict[str, str]]:
    """An Aave V3 market listing WETH (unmodified artifacts), removed again after this module."""
    r = replica_session
    snap = raw_rpc(r.url, "evm_snapshot")
    try:
        weth = r.manifest.token("WETH").address
        yield aave.deploy_aave(r.w3, r.w3.eth.accounts[0], weth, {"WETH": weth}, {"WETH": 1_000 * 10**18})
    finally:
        raw_rpc(r.url, "evm_revert", [snap])


def _lender(r: Replica, capital: Capital, market: dict[str, str]) -> tuple[str, Callable[[int], int]]:
    m = r.manifest

    def pool(kind: str, fee: int) -> str:
        return next(
            p.address
            for p in m.pools
            if p.kind == kind
            and p.venue.startswith("uniswap")
            and {p.token0, p.token1} == {"WETH", "WBTC"}
            and p.fee == fee
        )

    if capital == Capital.OWN:
        return "0x" + "00" * 20, lambda a: 0
    if capital == Capital.BALANCER:
        return m.contracts["BalancerVault"], lambda a: 0
    if capital == Capital.V2_FLASH:
        return pool("uniswap_v2", 30), v2_flash_fee  # holds WETH, not on the route
    if capital == Capital.V3_FLASH:
        return pool("uniswap_v3", 3000), lambda a: v3_flash_fee(a, 3000)
    return market["AavePool"], aave_premium


@pytest.mark.parametrize("capital", list(PROTOCOL), ids=[c.name for c in PROTOCOL])
def test_each_loan_is_audited_with_its_fee(replica: Replica, aave_market: dict[str, str], capital: Capital) -> None:
    m = replica.manifest
    executor = trades.deploy(replica)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    pools = [trades.pool_model(replica, v, "WETH", "USDC", 30) for v in ("uniswap_v2", "sushiswap")]
    lender, fee = _lender(replica, capital, aave_market)
    amount, profit = bracketed_optimum(
        lambda x: trades.predict(pools, weth, x) - x - fee(x), max_input=500 * 10**18, min_input=10**15
    )
    assert profit > 0
    hops = (trades.hop(pools[0], weth, False), trades.hop(pools[1], usdc, False))
    if capital == Capital.OWN:  # the executor's own WETH: exactly the input
        w3, owner = replica.w3, replica.w3.eth.accounts[0]
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": owner, "to": weth, "value": amount}))
        trades.weth_contract(replica).functions.transfer(executor.address, amount).transact({"from": owner})
    sent = trades.send(replica, executor, Route(capital, lender, weth, amount, 0, 0, hops), profit)
    assert sent.receipt["status"] == 1
    a = Auditor(RpcClient(replica.url)).audit_tx(sent.tx_hash)
    loans = [(f.protocol, f.lender, f.token, f.amount, f.fee) for f in a.flash_loans]
    assert loans == ([] if capital == Capital.OWN else [(PROTOCOL[capital], lender, weth, amount, fee(amount))])
    assert [s.pool for s in a.route] == [h.pool for h in hops]  # the lender's own event is not a hop
    assert a.profit_eth == profit == a.route[-1].amount_out - amount - fee(amount)
    assert a.executed is not None and a.executed.profit == profit
    assert a.notes == []
