"""Balancer V2 hops through the deployed executor on the replica: the real Vault and the real weighted pools
of the manifest, cycles with Uniswap V2 built in Python, the profit equal to the exact models' prediction to
the wei, no allowance left to the Vault, and the Balancer flash loan refused with a Balancer hop before any
call."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from arbbot.amm.balancer_pair import BalancerPairView
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.devnet import aave, artifacts, compiler
from arbbot.errors import ArbbotError
from arbbot.execution.route import (
    Capital,
    Route,
    RouteError,
    aave_premium,
    encode,
    hop_for,
    v2_flash_fee,
    v3_flash_fee,
)
from arbbot.strategy.sizing import bracketed_optimum
from tests.conftest import Replica
from tests.integration.test_executor import _deploy, _erc20_balance, _models, _pool, _reverts_with, _weth
from tests.integration.test_executor_capital import _allowance, _v2_pair, _v3_pool

ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def aave_market(replica_session: Replica) -> Iterator[dict[str, str]]:
    """An Aave V3 market (unmodified npm artifacts) listing WETH, removed again after this module."""
    r = replica_session
    snap = raw_rpc(r.url, "evm_snapshot")
    try:
        weth = r.manifest.token("WETH").address
        yield aave.deploy_aave(r.w3, r.w3.eth.accounts[0], weth, {"WETH": weth}, {"WETH": 1_000 * 10**18})
    finally:
        raw_rpc(r.url, "evm_revert", [snap])


def _contract(r: Replica, name: str, address: str) -> Contract:
    return r.w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifacts.load(name).abi)


def _balancer(r: Replica, symbols: set[str]) -> BalancerWeightedPool:
    """The manifest's weighted pool over exactly these tokens, read from the chain now."""
    m = r.manifest
    entry = next(p for p in m.balancer_pools if set(p.tokens) == symbols)
    vault = _contract(r, "BalancerVault", m.contracts["BalancerVault"])
    pool = _contract(r, "BalancerWeightedPool", entry.address)
    tokens, balances, _ = vault.functions.getPoolTokens(entry.pool_id).call()
    return BalancerWeightedPool(
        entry.address, entry.pool_id, vault.address, tuple(tokens), list(balances),
        tuple(pool.functions.getNormalizedWeights().call()), tuple(pool.functions.getScalingFactors().call()),
        pool.functions.getSwapFeePercentage().call(),
    )  # fmt: skip


def _view(model: BalancerWeightedPool, a: str, b: str) -> BalancerPairView:
    i, j = sorted((model.index(a), model.index(b)))
    return BalancerPairView(model, i, j)


def _zero_for_one(pool, token_in: str) -> bool:
    return token_in.lower() == pool.token0.lower()


def _chain(pools: list, token: str) -> Callable[[int], int]:
    """The cycle's output for an input, by the exact models (a model's refusal counts as nothing out)."""

    def out(amount: int) -> int:
        tin = token
        for pool in pools:
            try:
                amount = pool.quote_exact_in(tin, amount)
            except (ArbbotError, ValueError):
                return 0
            tin = pool.token1 if _zero_for_one(pool, tin) else pool.token0
        return amount

    return out


def _hops(pools: list, token: str) -> tuple:
    hops, tin = [], token
    for pool in pools:
        zfo = _zero_for_one(pool, tin)
        hops.append(hop_for(pool, zfo))
        tin = pool.token1 if zfo else pool.token0
    return tuple(hops)


def _fund(r: Replica, symbol: str, to: str, amount: int) -> None:
    w3, owner = r.w3, r.w3.eth.accounts[0]
    token = r.manifest.token(symbol).address
    if symbol == "WETH":
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": owner, "to": token, "value": amount}))
        _weth(r).functions.transfer(to, amount).transact({"from": owner})
    else:
        abi = compiler.replica_contracts()["ReplicaToken"].abi
        r.w3.eth.contract(address=token, abi=abi).functions.mint(to, amount).transact({"from": owner})


def _v2_trade(r: Replica, pair, token_in: str, amount: int) -> None:
    """A trader's swap of `amount` of `token_in` on a V2 pair (the dislocation the cycle then closes)."""
    symbol = next(t.symbol for t in r.manifest.tokens if t.address.lower() == token_in.lower())
    _fund(r, symbol, pair.address, amount)
    out = pair.quote_exact_in(token_in, amount)
    zfo = _zero_for_one(pair, token_in)
    contract = _contract(r, "UniswapV2Pair", pair.address)
    trader = r.w3.eth.accounts[4]
    tx = contract.functions.swap(0 if zfo else out, out if zfo else 0, trader, b"").transact({"from": trader})
    assert r.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _run(
    r: Replica, executor: Contract, capital: Capital, lender: str, pools: list, token: str, fee: Callable[[int], int]
) -> tuple[Route, int, str]:
    """Sizes the cycle on the models, runs it with minProfit = the predicted profit and checks it to the wei;
    returns the route, the profit and the transaction hash."""
    w3, owner = r.w3, r.w3.eth.accounts[0]
    out = _chain(pools, token)
    amount, profit = bracketed_optimum(lambda x: out(x) - x - fee(x), max_input=10**24, min_input=10**6)
    assert profit > 0, "the dislocation should pay"
    symbol = next(t.symbol for t in r.manifest.tokens if t.address.lower() == token.lower())
    if capital == Capital.OWN:
        _fund(r, symbol, executor.address, amount)
    route = Route(capital, lender, token, amount, profit, 0, _hops(pools, token))
    before = _erc20_balance(r, token, executor.address)
    tx_hash = executor.functions.execute(encode(route)).transact({"from": owner, "gas": 3_000_000})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    assert _erc20_balance(r, token, executor.address) - before == profit  # to the wei
    event = executor.events.Executed().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["amountIn"], event["profit"]) == (amount, profit)
    vault = r.manifest.contracts["BalancerVault"]
    for t in r.manifest.tokens:
        if t.symbol in ("WETH", "DAI", "USDC", "WBTC"):
            assert _allowance(r, t.address, executor.address, vault) == 0, f"{t.symbol} allowance left"
            if t.address.lower() != token.lower():
                assert _erc20_balance(r, t.address, executor.address) == 0, f"{t.symbol} left behind"
    return route, profit, "0x" + bytes(tx_hash).hex()


CAPITALS = [Capital.OWN, Capital.V2_FLASH, Capital.V3_FLASH, Capital.AAVE]


@pytest.mark.parametrize("capital", CAPITALS, ids=[c.name for c in CAPITALS])
def test_balancer_weighted_and_uniswap_v2_cycle_keeps_the_models_profit(
    replica: Replica, aave_market: dict[str, str], capital: Capital
) -> None:
    """WETH -> DAI on the 80/20 weighted pool, DAI -> WETH on Uniswap V2, after a trader dumped WETH on V2."""
    r = replica
    m = r.manifest
    weth, dai = m.token("WETH").address, m.token("DAI").address
    _v2_trade(r, _pool(_models(r), "uniswap_v2", "WETH", "DAI", 30), weth, 40 * 10**18)
    executor = _deploy(r)
    v2 = _pool(_models(r), "uniswap_v2", "WETH", "DAI", 30)
    pools = [_view(_balancer(r, {"WETH", "DAI"}), weth, dai), v2]
    lender, fee = ZERO, (lambda a: 0)
    if capital == Capital.V2_FLASH:
        lender, fee = _v2_pair(r, "uniswap_v2", "WETH", "WBTC"), v2_flash_fee
    elif capital == Capital.V3_FLASH:
        lender, fee = _v3_pool(r, "WETH", "WBTC", 3000), (lambda a: v3_flash_fee(a, 3000))
    elif capital == Capital.AAVE:
        lender, fee = aave_market["AavePool"], aave_premium
    _run(r, executor, capital, lender, pools, weth, fee)


def test_uniswap_v2_then_balancer_on_a_v2_flash_swap(replica: Replica) -> None:
    """The other direction: a trader bought WETH on V2, the route sells it there and buys it back on Balancer."""
    r = replica
    m = r.manifest
    weth, dai = m.token("WETH").address, m.token("DAI").address
    _v2_trade(r, _pool(_models(r), "uniswap_v2", "WETH", "DAI", 30), dai, 200_000 * 10**18)
    executor = _deploy(r)
    pools = [_pool(_models(r), "uniswap_v2", "WETH", "DAI", 30), _view(_balancer(r, {"WETH", "DAI"}), dai, weth)]
    _run(r, executor, Capital.V2_FLASH, _v2_pair(r, "uniswap_v2", "WETH", "WBTC"), pools, weth, v2_flash_fee)


def test_three_hops_with_the_balancer_hop_in_the_middle(replica: Replica) -> None:
    """WETH -> USDC (V2) -> WBTC (the 3-token weighted pool) -> WETH (V2), after WBTC was sold cheap on V2."""
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
    _run(r, executor, Capital.OWN, ZERO, pools, weth, lambda a: 0)


def test_balancer_flash_loan_with_a_balancer_hop_is_refused_before_any_call(replica: Replica) -> None:
    r = replica
    m, w3 = r.manifest, r.w3
    weth, dai = m.token("WETH").address, m.token("DAI").address
    vault = m.contracts["BalancerVault"]
    executor = _deploy(r)
    pools = [_view(_balancer(r, {"WETH", "DAI"}), weth, dai), _pool(_models(r), "uniswap_v2", "WETH", "DAI", 30)]
    with pytest.raises(RouteError, match=r"hops\[0\]: a Balancer hop cannot run inside a Balancer flash loan"):
        encode(Route(Capital.BALANCER, vault, weth, 10**18, 0, 0, _hops(pools, weth)))
    # The bytes the encoder refuses, built by hand: the executor refuses them too, before calling anything.
    own = bytearray(encode(Route(Capital.OWN, ZERO, weth, 10**18, 0, 0, _hops(pools, weth))))
    own[0] = int(Capital.BALANCER)
    own[2:22] = bytes.fromhex(vault[2:])
    call = executor.functions.execute(bytes(own))
    _reverts_with(lambda: call.call({"from": w3.eth.accounts[0]}), "BadCapitalForHop(uint256,uint256)")
    tx = {"from": w3.eth.accounts[0], "to": executor.address, "data": call._encode_transaction_data()}
    frame = raw_rpc(r.url, "debug_traceCall", [tx, "latest", {"tracer": "callTracer"}])
    assert frame.get("error") and not frame.get("calls"), f"the executor called out: {frame.get('calls')}"
