"""Cycles between a real Balancer V2 weighted pool (WETH) or composable stable pool (USDC) and a Uniswap V2 pair,
found by the searcher on the default replica, sized on the exact models, simulated through the deployed executor,
bundled to the local builder (a test double of a real builder) and landed: the executor gains exactly the models'
predicted profit, less the builder's share, to the wei. The prediction is checked against a fresh read of both
pools at the judged block, the route's capital against the Vault's re-entrancy rule (never its own flash loan), and
the audit names the Balancer hop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from eth_abi import encode
from eth_utils import keccak
from web3 import Web3

from arbbot.amm.balancer_pair import BalancerPairView, underlying_id
from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.audit.auditor import AuditOptions, Auditor
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts
from arbbot.devnet.context import known_pools
from arbbot.devnet.executor import deploy_executor
from arbbot.devnet.manifest import Manifest
from arbbot.engine.bootstrap import load_store
from arbbot.execution.capital import CapitalSources
from arbbot.execution.route import Capital, decode
from arbbot.strategy.arbitrage import CycleArbitrage
from arbbot.testing.local_builder import LocalBuilder
from tests.conftest import Replica
from tests.integration.searcher.harness import build_searcher, router_call

DEADLINE = 2**32


def _route_of(calldata: bytes):  # type: ignore[no-untyped-def]
    length = int.from_bytes(calldata[36:68], "big")
    return decode(calldata[68 : 68 + length])


def _pools(m: Manifest, a: str = "WETH", b: str = "DAI", kind: str = "balancer_weighted") -> tuple[str, str]:
    """The Balancer `kind` pool of exactly `a` and `b` (the WETH/DAI weighted pool by default): its id, and the
    Uniswap V2 pair of the same tokens' address."""
    bal = next(p for p in m.balancer_pools if p.kind == kind and set(p.tokens) == {a, b})
    v2 = next(p for p in m.pools_for(a, b) if p.kind == "uniswap_v2" and p.venue == "uniswap_v2")
    return bal.pool_id.lower(), v2.address.lower()


def _balance(w3: Web3, m: Manifest, symbol: str, holder: str) -> int:
    token = w3.eth.contract(address=m.token(symbol).address, abi=artifacts.load("WETH9").abi)
    return int(token.functions.balanceOf(holder).call())


def _vault_swap(w3: Web3, m: Manifest, pool_id: str, sell: str, buy: str, amount: int, trader: str) -> None:
    """A user's exact-input swap through the real Vault (WETH wrapped first when sold)."""
    vault = w3.eth.contract(address=m.contracts["BalancerVault"], abi=artifacts.load("BalancerVault").abi)
    token_in = w3.eth.contract(address=m.token(sell).address, abi=artifacts.load("WETH9").abi)
    if sell == "WETH":
        tx = token_in.functions.deposit().transact({"from": trader, "value": amount})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    tx = token_in.functions.approve(vault.address, amount).transact({"from": trader})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    single = (bytes.fromhex(pool_id[2:]), 0, m.token(sell).address, m.token(buy).address, amount, b"")
    tx = vault.functions.swap(single, (trader, False, trader, False), 0, DEADLINE).transact({"from": trader})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _fresh_prediction(url: str, m: Manifest, keys: set[str], hops, amount: int, block: int) -> int:  # type: ignore[no-untyped-def]
    """The cycle's output for `amount` on models read afresh from the chain at `block` (not the searcher's store)."""
    wanted = {underlying_id(k) for k in keys}
    pools = [p for p in known_pools(m) if p.address.lower() in wanted]
    store = load_store(RpcClient(url), pools, block, weth=m.token("WETH").address)
    out = amount
    for h in hops:
        out = store.pools[h.pool.lower()].quote_exact_in(h.token_in, out)
    return out


def _check_landed(w3: Web3, m: Manifest, url: str, rig, plan, before: int, symbol: str = "WETH") -> None:  # type: ignore[no-untyped-def]
    """Landed: the executor's `symbol` (the cycle's token) grew by exactly what the fork said it keeps, which is the
    models' predicted profit less the builder's share; the audit names a Balancer hop at the Vault with the route's
    pool id."""
    assert symbol in ("WETH", "USDC")
    c = rig.searcher.counters
    assert c.landed == 1 and c.missed == 0, c
    executed = plan.sim.executed
    assert executed is not None
    assert executed.profit + executed.builder_payment == plan.candidate.gross_profit  # the models' prediction
    assert _balance(w3, m, symbol, rig.contract.address) - before == executed.profit  # to the wei
    landed = rig.searcher.results[rig.searcher.plans.index(plan)].tx_hash
    venues = {p.address: p.venue for p in m.pools}
    # A USDC profit is valued at the scenario's price (1 ETH = 3200 USDC, as its tokens table says).
    prices = {} if symbol == "WETH" else {m.token("USDC").address: (10**18, 3200 * 10**6)}
    options = AuditOptions(executors=(rig.contract.address,), venues=venues, prices=prices)
    trade = Auditor(RpcClient(url), options).audit_tx(landed)
    assert trade.status == "success" and trade.notes == [], trade.notes
    assert trade.executed is not None and trade.executed.profit == executed.profit
    kinds = [s.kind for s in trade.route]
    assert len(kinds) == len(plan.candidate.hops) and any(k.startswith("balancer") for k in kinds), kinds


def _scenario(
    replica: Replica,
    dislocate: Callable[[Web3, Manifest, str], None],
    sources: CapitalSources,
    want: set[Capital],
    fund: Callable[[str], None] | None = None,
    pools: tuple[str, str] | None = None,
    symbol: str = "WETH",
    bribe_share_bps: int = 5_000,
) -> None:
    """`pools`: the Balancer pool id and V2 pair traded (default: the WETH/DAI weighted pool and pair); `symbol`: the
    token the cycles start and end in; `bribe_share_bps`: the builder's share of the profit (paid in ether, so only
    from a WETH profit: the executor refuses a share of any other token)."""
    w3, m, url = replica.w3, replica.manifest, replica.url
    contract = deploy_executor(w3, m)
    if fund is not None:
        fund(contract.address)
    pool_id, v2 = pools or _pools(m)

    def traded(p) -> bool:  # type: ignore[no-untyped-def]
        key = p.address.lower()
        return key == v2 or underlying_id(key) == pool_id

    async def run() -> None:
        async with LocalBuilder(url) as builder:
            rig = build_searcher(url, w3, m, builder.url, contract, capital_sources=sources, pool_filter=traded,
                                 base_tokens=[m.token(symbol).address], bribe_share_bps=bribe_share_bps)  # fmt: skip
            async with rig.fanout:
                await rig.searcher.process_block()  # in step with the head
                assert rig.searcher.counters.sent == 0  # nothing to trade before the dislocation
                dislocate(w3, m, pool_id)
                judged_at = w3.eth.block_number
                plans = await rig.searcher.process_block()
                c = rig.searcher.counters
                assert plans and c.sent == 1 and c.errors == 0, c
                plan = plans[0]
                hops = plan.candidate.hops
                keys = {h.pool.lower() for h in hops}
                assert v2 in keys and any(underlying_id(k) == pool_id for k in keys)
                store = rig.searcher.store
                assert any(isinstance(store.pools[k], BalancerPairView) for k in keys)
                assert any(isinstance(store.pools[k], UniswapV2Pool) for k in keys)
                # The models' prediction, from a fresh read of both pools at the judged block.
                out = _fresh_prediction(url, m, keys, hops, plan.candidate.amount_in, judged_at)
                assert out - plan.candidate.amount_in == plan.candidate.gross_profit > 0
                assert plan.sim.gross_profit == plan.candidate.gross_profit
                route = _route_of(plan.calldata)
                assert route.capital in want and route.capital != Capital.BALANCER, route.capital
                bal = [h for h in route.hops if h.balancer]
                assert len(bal) == 1 and bal[0].pool_id.lower() == pool_id
                assert bal[0].pool.lower() == m.contracts["BalancerVault"].lower()
                before = _balance(w3, m, symbol, contract.address)
                built = await builder.build_block()
                assert len(built.included) == 1, built.dropped
                await rig.searcher.process_block()
                _check_landed(w3, m, url, rig, plan, before, symbol)
                vault = m.contracts["BalancerVault"]
                for held in {"DAI", "WETH", symbol}:  # nothing left approved to the Vault
                    token = w3.eth.contract(address=m.token(held).address, abi=artifacts.load("WETH9").abi)
                    assert token.functions.allowance(contract.address, vault).call() == 0
            await rig.node.close()

    asyncio.run(run())


def test_weth_dumped_into_balancer_is_bought_back_there_on_the_v2_pairs_flash_swap(replica: Replica) -> None:
    """WETH made cheap on Balancer: sell WETH on the V2 pair first, buy it back on Balancer. The V2 pair lends the
    WETH (a free flash swap from the route's first hop); the Vault's flash loan is never offered."""

    def dump(w3: Web3, m: Manifest, pool_id: str) -> None:
        _vault_swap(w3, m, pool_id, "WETH", "DAI", 60 * 10**18, w3.eth.accounts[5])

    sources = CapitalSources(balancer_vault=replica.manifest.contracts["BalancerVault"])
    _scenario(replica, dump, sources, {Capital.FIRST_HOP})


def test_usdc_dumped_into_the_composable_stable_pool_is_bought_back_there_on_the_v2_pairs_flash_swap(
    replica: Replica,
) -> None:
    """A USDC cycle through the replica's composable stable pool (USDC/DAI, the real v3 factory's) and the Uniswap V2
    USDC/DAI pair: USDC made cheap on Balancer by a user's swap, the cycle sells USDC on the pair for DAI and buys the
    USDC back on the stable pool; it lands and the executor keeps exactly the models' predicted USDC profit (no
    builder's share: the executor pays one in ether only, out of a WETH profit)."""
    m = replica.manifest
    pools = _pools(m, "USDC", "DAI", "balancer_composable_stable")

    def dump(w3: Web3, m: Manifest, pool_id: str) -> None:
        trader = w3.eth.accounts[5]
        amount = 800_000 * 10**6  # deep into the curve: USDC some 2% cheaper than on the pair
        mint = keccak(text="mint(address,uint256)")[:4] + encode(["address", "uint256"], [trader, amount])
        tx = w3.eth.send_transaction({"from": m.deployer, "to": m.token("USDC").address, "data": mint})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1  # the replica's tokens: the deployer mints
        _vault_swap(w3, m, pool_id, "USDC", "DAI", amount, trader)

    sources = CapitalSources(balancer_vault=m.contracts["BalancerVault"])
    _scenario(replica, dump, sources, {Capital.FIRST_HOP}, pools=pools, symbol="USDC", bribe_share_bps=0)


def test_a_cycle_starting_on_balancer_runs_on_the_executors_own_weth(replica: Replica) -> None:
    """WETH made cheap on the V2 pair: the cycle sells WETH on Balancer first, so no pair can lend it and the Vault's
    own loan would revert (BAL#400); the executor's own WETH runs it."""
    w3, m = replica.w3, replica.manifest
    weth = w3.eth.contract(address=m.token("WETH").address, abi=artifacts.load("WETH9").abi)
    funder = w3.eth.accounts[6]
    tx = weth.functions.deposit().transact({"from": funder, "value": 200 * 10**18})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    def fund(executor: str) -> None:
        tx = weth.functions.transfer(executor, 200 * 10**18).transact({"from": funder})
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    def dump_on_v2(w3: Web3, m: Manifest, pool_id: str) -> None:
        tx = w3.eth.send_transaction(router_call(w3, m, "uniswap_v2", w3.eth.accounts[5], 80 * 10**18, "DAI"))
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1

    sources = CapitalSources(balancer_vault=m.contracts["BalancerVault"], own_balance=True)
    _scenario(replica, dump_on_v2, sources, {Capital.OWN}, fund)


def test_on_the_vaults_own_flash_loan_balancer_cycles_are_never_tried(replica: Replica) -> None:
    """A searcher configured to borrow from the Vault (capital 1) leaves Balancer pools out of its cycles: the Vault
    refuses a swap inside its own flash loan. Should a cycle through one reach it anyway (a strategy built by hand
    over every pool), it is rejected before simulation, naming why; nothing errs, nothing is sent."""
    w3, m, url = replica.w3, replica.manifest, replica.url
    contract = deploy_executor(w3, m)
    pool_id, v2 = _pools(m)
    events: list[tuple[str, dict[str, object]]] = []

    def traded(p) -> bool:  # type: ignore[no-untyped-def]
        return p.address.lower() == v2 or underlying_id(p.address) == pool_id

    async def run() -> None:
        async with LocalBuilder(url) as builder:
            rig = build_searcher(url, w3, m, builder.url, contract, capital=Capital.BALANCER, pool_filter=traded)
            rig.searcher.on_event = lambda e: events.append((e.kind, dict(e.data)))
            async with rig.fanout:
                # The V2 pair alone makes no cycle: the Balancer pool's views were left out.
                assert len(rig.searcher.arbitrage) == 0
                await rig.searcher.process_block()
                _vault_swap(w3, m, pool_id, "WETH", "DAI", 60 * 10**18, w3.eth.accounts[5])
                assert await rig.searcher.process_block() == []
                c = rig.searcher.counters
                assert c.opportunities_found == 0 and c.sent == 0 and c.errors == 0, c
                # The backstop: every pool in the cycles, as a strategy built without the filter would have.
                pools = {k: p for k, p in rig.searcher.store.pools.items() if traded(p)}
                rig.searcher.arbitrage = CycleArbitrage(pools, [m.token("WETH").address], max_hops=3)
                assert len(rig.searcher.arbitrage) >= 2  # both directions through the Balancer pool and the pair
                _vault_swap(w3, m, pool_id, "WETH", "DAI", 20 * 10**18, w3.eth.accounts[5])
                assert await rig.searcher.process_block() == []
                assert c.opportunities_found >= 1 and c.rejected >= 1, c
                assert c.sent == 0 and c.errors == 0 and c.simulated == 0, c
            await rig.node.close()

    asyncio.run(run())
    reasons = [str(d.get("reason")) for k, d in events if k == "rejected"]
    assert reasons and all("BAL#400" in r for r in reasons), reasons
