"""The audit of a trade with a Balancer V2 hop: the Vault's `Swap` event is read as the hop (the pool named by
its id), the route's order and amounts match, and the profit is exact."""

from __future__ import annotations

from arbbot.audit.auditor import Auditor
from arbbot.chain.rpc import RpcClient
from arbbot.execution.route import Capital
from tests.conftest import Replica
from tests.integration.test_executor import _deploy, _models, _pool
from tests.integration.test_executor_balancer import ZERO, _balancer, _run, _v2_trade, _view


def test_a_balancer_hop_is_audited_from_the_vault_s_swap_event(replica: Replica) -> None:
    r = replica
    m = r.manifest
    weth, usdc, wbtc = (m.token(s).address for s in ("WETH", "USDC", "WBTC"))
    _v2_trade(r, _pool(_models(r), "uniswap_v2", "WETH", "WBTC", 30), weth, 30 * 10**18)
    executor = _deploy(r)
    models = _models(r)
    three = _balancer(r, {"USDC", "WBTC", "WETH"})
    pools = [
        _pool(models, "uniswap_v2", "WETH", "USDC", 30),
        _view(three, usdc, wbtc),
        _pool(models, "uniswap_v2", "WETH", "WBTC", 30),
    ]
    route, profit, tx_hash = _run(r, executor, Capital.OWN, ZERO, pools, weth, lambda a: 0)
    a = Auditor(RpcClient(r.url)).audit_tx(tx_hash)
    assert a.status == "success" and a.notes == []
    assert [(s.pool, s.kind) for s in a.route] == [
        (pools[0].address, "uniswap_v2"),
        (three.pool_id.lower(), "balancer_v2"),
        (pools[2].address, "uniswap_v2"),
    ]
    mid = a.route[1]
    assert (mid.token_in, mid.token_out) == (usdc, wbtc)
    assert mid.amount_in == a.route[0].amount_out and mid.amount_out == a.route[2].amount_in
    assert a.route[0].amount_in == route.amount_in
    assert a.profit_eth == profit == a.route[-1].amount_out - route.amount_in
    assert a.executed is not None and a.executed.profit == profit
