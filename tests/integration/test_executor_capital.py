"""Every capital source of ArbExecutor on the replica: routes built in Python, run on a Balancer loan, a
Uniswap V2 flash swap, a Uniswap V3 flash, an Aave V3 flashLoanSimple (a real Aave market deployed for
this module) or the executor's own balance; profit, loan fee and every balance checked to the wei."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from web3 import Web3
from web3.logs import DISCARD

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.devnet import aave
from arbbot.execution.route import (
    HEADER,
    Capital,
    Hop,
    Route,
    aave_premium,
    encode,
    v2_flash_fee,
    v3_flash_fee,
)
from arbbot.strategy.sizing import bracketed_optimum
from tests.conftest import Replica
from tests.integration.test_executor import (
    _deploy,
    _erc20_balance,
    _hop,
    _models,
    _pool,
    _predict,
    _reverts_with,
    _weth,
)

AAVE_WETH = 1_000 * 10**18


@pytest.fixture(scope="module")
def aave_market(replica_session: Replica) -> Iterator[dict[str, str]]:
    """An Aave V3 market (unmodified npm artifacts) listing WETH, removed again after this module."""
    r = replica_session
    snap = raw_rpc(r.url, "evm_snapshot")
    try:
        weth = r.manifest.token("WETH").address
        yield aave.deploy_aave(r.w3, r.w3.eth.accounts[0], weth, {"WETH": weth}, {"WETH": AAVE_WETH})
    finally:
        raw_rpc(r.url, "evm_revert", [snap])


def _v3_pool(r: Replica, a: str, b: str, fee: int) -> str:
    return next(
        p.address
        for p in r.manifest.pools
        if p.kind == "uniswap_v3" and {p.token0, p.token1} == {a, b} and p.fee == fee
    )


def _v2_pair(r: Replica, venue: str, a: str, b: str) -> str:
    return next(p.address for p in r.manifest.pools if p.venue == venue and {p.token0, p.token1} == {a, b})


def _lender(r: Replica, capital: Capital, market: dict[str, str]) -> tuple[str, str, Callable[[int], int]]:
    """(lender, the address that ends up holding the fee, fee(amount)) for one capital source."""
    if capital in (Capital.OWN, Capital.FIRST_HOP, Capital.LAST_HOP):  # no lender: own funds, the route's pairs
        return "0x" + "00" * 20, "0x" + "00" * 20, lambda a: 0
    if capital == Capital.BALANCER:
        vault = r.manifest.contracts["BalancerVault"]
        return vault, vault, lambda a: 0
    if capital == Capital.V2_FLASH:
        pair = _v2_pair(r, "uniswap_v2", "WETH", "WBTC")  # holds WETH, not on the route
        return pair, pair, v2_flash_fee
    if capital == Capital.V3_FLASH:
        pool = _v3_pool(r, "WETH", "WBTC", 3000)
        return pool, pool, lambda a: v3_flash_fee(a, 3000)
    return market["AavePool"], market["aWETH"], aave_premium  # Aave keeps the underlying in the aToken


# POOL_MANAGER needs a V4 hop (no PoolManager on this replica): tests/integration/searcher/test_v4_landing.py.
SOURCES = [c for c in Capital if c != Capital.POOL_MANAGER]


@pytest.mark.parametrize("capital", SOURCES, ids=[c.name for c in SOURCES])
def test_each_capital_source_keeps_exactly_the_modelled_profit(
    replica: Replica, aave_market: dict[str, str], capital: Capital
) -> None:
    m, w3 = replica.manifest, replica.w3
    owner = w3.eth.accounts[0]
    executor = _deploy(replica)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    models = _models(replica)
    pools = [_pool(models, "uniswap_v2", "WETH", "USDC", 30), _pool(models, "sushiswap", "WETH", "USDC", 30)]
    lender, fee_holder, fee = _lender(replica, capital, aave_market)
    amount, profit = bracketed_optimum(
        lambda x: _predict(pools, weth, x) - x - fee(x), max_input=500 * 10**18, min_input=10**15
    )
    assert profit > 0 and fee(amount) >= 0, "the dislocation should pay for the loan"
    if capital == Capital.OWN:  # own capital: fund the executor with exactly the input
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": owner, "to": weth, "value": amount}))
        _weth(replica).functions.transfer(executor.address, amount).transact({"from": owner})
    hops = (_hop(pools[0], weth, False), _hop(pools[1], usdc, False))
    route = Route(capital, lender, weth, amount, profit, 0, hops)
    executor_before = _erc20_balance(replica, weth, executor.address)
    holder_before = _erc20_balance(replica, weth, fee_holder) if int(fee_holder, 16) else 0
    receipt = w3.eth.wait_for_transaction_receipt(
        executor.functions.execute(encode(route)).transact({"from": owner, "gas": 3_000_000})
    )
    assert receipt["status"] == 1
    assert _erc20_balance(replica, weth, executor.address) - executor_before == profit  # to the wei
    if capital not in (Capital.OWN, Capital.FIRST_HOP, Capital.LAST_HOP):
        assert _erc20_balance(replica, weth, fee_holder) - holder_before == fee(amount)
        assert _allowance(replica, weth, executor.address, lender) == 0  # nothing left approved
    assert _erc20_balance(replica, usdc, executor.address) == 0
    event = executor.events.Executed().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["amountIn"], event["profit"], event["builderPayment"]) == (amount, profit, 0)


def test_loan_fee_makes_a_thin_route_unprofitable_and_nothing_changes(
    replica: Replica, aave_market: dict[str, str]
) -> None:
    """Profitable on a free Balancer loan, but not after a V3 pool's 0.30% flash fee: reverts."""
    m, w3 = replica.manifest, replica.w3
    executor = _deploy(replica)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    models = _models(replica)
    pools = [_pool(models, "uniswap_v2", "WETH", "USDC", 30), _pool(models, "sushiswap", "WETH", "USDC", 30)]
    best, _ = bracketed_optimum(lambda x: _predict(pools, weth, x) - x, max_input=500 * 10**18, min_input=10**15)
    # Past the optimum the gross profit falls: take the first size where it no longer covers the fee.
    amount = next(x for x in range(best, 3 * best, best // 20) if _predict(pools, weth, x) - x < v3_flash_fee(x, 3000))
    gross = _predict(pools, weth, amount) - amount
    assert 0 < gross < v3_flash_fee(amount, 3000), "the size should be profitable only without the fee"
    lender = _v3_pool(replica, "WETH", "WBTC", 3000)
    hops = (_hop(pools[0], weth, False), _hop(pools[1], usdc, False))
    route = encode(Route(Capital.V3_FLASH, lender, weth, amount, 0, 0, hops))
    before = [p.to_dict() for p in _models(replica).values()]
    _reverts_with(
        lambda: executor.functions.execute(route).call({"from": w3.eth.accounts[0]}), "Unprofitable(uint256,uint256)"
    )
    assert [p.to_dict() for p in _models(replica).values()] == before


def _allowance(r: Replica, token: str, owner: str, spender: str) -> int:
    abi = [
        {
            "type": "function",
            "name": "allowance",
            "stateMutability": "view",
            "inputs": [{"name": "o", "type": "address"}, {"name": "s", "type": "address"}],
            "outputs": [{"name": "", "type": "uint256"}],
        }
    ]
    erc20 = r.w3.eth.contract(address=Web3.to_checksum_address(token), abi=abi)
    return erc20.functions.allowance(owner, spender).call()


def _patched(route: bytes, **fields: bytes) -> bytes:
    """The route with raw header fields overwritten (to build bytes the Python encoder refuses)."""
    at = {"capital": (0, 1), "hops": (1, 2), "lender": (2, 22), "amount": (42, 58)}
    out = bytearray(route)
    for name, value in fields.items():
        lo, hi = at[name]
        assert len(value) == hi - lo
        out[lo:hi] = value
    return bytes(out)


def test_bad_routes_revert_with_named_errors(replica: Replica, aave_market: dict[str, str]) -> None:
    m, w3 = replica.manifest, replica.w3
    owner = w3.eth.accounts[0]
    executor = _deploy(replica)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    models = _models(replica)
    first, second = _pool(models, "uniswap_v2", "WETH", "USDC", 30), _pool(models, "sushiswap", "WETH", "USDC", 30)
    hops = (_hop(first, weth, False), _hop(second, usdc, False))
    vault = m.contracts["BalancerVault"]
    good = encode(Route(Capital.BALANCER, vault, weth, 10**18, 0, 0, hops))

    def call(route: bytes) -> Callable[[], object]:
        return lambda: executor.functions.execute(route).call({"from": owner})

    addr = lambda a: bytes.fromhex(a[2:])  # noqa: E731
    _reverts_with(call(good[: HEADER - 1]), "RouteLength(uint256,uint256)")
    _reverts_with(call(good[:-1]), "RouteLength(uint256,uint256)")
    _reverts_with(call(_patched(good, hops=b"\x05")), "HopCount(uint256)")
    _reverts_with(call(_patched(good, hops=b"\x01")), "HopCount(uint256)")
    _reverts_with(call(_patched(good, amount=bytes(16))), "ZeroAmount()")
    _reverts_with(call(_patched(good, capital=b"\x09")), "UnknownCapital(uint256)")
    # A lender that is also one of the route's pools, a pair without the start token, no lender at all.
    _reverts_with(call(_patched(good, capital=b"\x02", lender=addr(first.address))), "BadLender(address)")
    usdc_dai = _v2_pair(replica, "uniswap_v2", "USDC", "DAI")
    _reverts_with(call(_patched(good, capital=b"\x02", lender=addr(usdc_dai))), "BadLender(address)")
    _reverts_with(call(_patched(good, capital=b"\x03", lender=bytes(20))), "BadLender(address)")
    # A "Vault" that never calls back (an account without code).
    _reverts_with(call(_patched(good, lender=addr(w3.eth.accounts[5]))), "NoCallback(address)")
    # Token mismatch: the V3 hop's pool trades WETH/WBTC, not the USDC the route says comes in.
    wrong_pool = Hop(_v3_pool(replica, "WETH", "WBTC", 3000), weth, True, False)
    mismatched = Route(Capital.BALANCER, vault, weth, 10**18, 0, 0, (hops[0], wrong_pool))
    _reverts_with(call(encode(mismatched)), "TokenMismatch(uint256,address,address)")


def test_lender_callbacks_cannot_be_spoofed(replica: Replica, aave_market: dict[str, str]) -> None:
    """Each callback, sent from the real lender's own address but outside an execution, reverts."""
    m = replica.manifest
    executor = _deploy(replica)
    weth = m.token("WETH").address
    pair = _v2_pair(replica, "uniswap_v2", "WETH", "WBTC")
    pool = _v3_pool(replica, "WETH", "WBTC", 3000)
    fn = executor.functions
    err = "UnexpectedCallback(address)"
    _reverts_with(lambda: fn.uniswapV2Call(executor.address, 10**18, 0, b"x").call({"from": pair}), err)
    _reverts_with(lambda: fn.uniswapV3FlashCallback(0, 10**15, b"x").call({"from": pool}), err)
    _reverts_with(
        lambda: fn.executeOperation(weth, 10**18, 0, executor.address, b"").call({"from": aave_market["AavePool"]}),
        err,
    )
    _reverts_with(lambda: fn.receiveFlashLoan([weth], [1], [0], b"").call({"from": m.contracts["BalancerVault"]}), err)
    _reverts_with(lambda: fn.uniswapV3SwapCallback(1, 0, b"").call({"from": pool}), err)


@pytest.mark.parametrize(
    "legs",
    [
        # Borrow USDC: buy WETH on sushiswap (cheap there), sell it on the 0.05% V3 pool.
        [("sushiswap", "USDC", "WETH", 30), ("uniswap_v3", "WETH", "USDC", 500)],
        # WETH -> USDC (V3 0.05%) -> DAI -> WETH, where DAI buys WETH cheaply.
        [("uniswap_v3", "WETH", "USDC", 500), ("uniswap_v2", "USDC", "DAI", 30), ("uniswap_v2", "DAI", "WETH", 30)],
    ],
    ids=["v2-v3-usdc", "3-hop-v3-v2-v2"],
)
def test_mixed_routes_on_a_balancer_loan_keep_exactly_the_modelled_profit(replica: Replica, legs: list) -> None:
    m, w3 = replica.manifest, replica.w3
    executor = _deploy(replica)
    models = _models(replica)
    pools = [_pool(models, venue, a, b, fee) for venue, a, b, fee in legs]
    start = m.token(legs[0][1]).address
    scale = 10 ** m.token(legs[0][1]).decimals
    amount, profit = bracketed_optimum(
        lambda x: _predict(pools, start, x) - x, max_input=10**9 * scale, min_input=scale // 1000
    )
    assert profit > 0, "the scenario's dislocation should be tradable"
    hops = tuple(
        _hop(pool, m.token(a).address, venue == "uniswap_v3")
        for pool, (venue, a, _b, _f) in zip(pools, legs, strict=True)
    )
    vault = m.contracts["BalancerVault"]
    route = Route(Capital.BALANCER, vault, start, amount, profit, 0, hops)
    vault_before = _erc20_balance(replica, start, vault)
    receipt = w3.eth.wait_for_transaction_receipt(
        executor.functions.execute(encode(route)).transact({"from": w3.eth.accounts[0], "gas": 3_000_000})
    )
    assert receipt["status"] == 1
    assert _erc20_balance(replica, start, executor.address) == profit  # to the wei
    assert _erc20_balance(replica, start, vault) == vault_before
    for _venue, _a, b, _fee in legs:  # nothing of the intermediate tokens stays behind
        if m.token(b).address != start:
            assert _erc20_balance(replica, m.token(b).address, executor.address) == 0
