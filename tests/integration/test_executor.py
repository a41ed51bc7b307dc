"""ArbExecutor on the replica: routes built in Python, executed through the real pools and the real
Balancer Vault, with profits predicted by the exact models and checked to the wei."""

from __future__ import annotations

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts
from arbbot.devnet.executor import deploy_executor
from arbbot.execution.route import Capital, Hop, Route, decode, encode
from arbbot.state import lens
from arbbot.state.models import v2_model, v3_model
from arbbot.strategy.sizing import bracketed_optimum
from tests.conftest import Replica

COINBASE = Web3.to_checksum_address("0x000000000000000000000000000000000000c0de")


def _deploy(r: Replica) -> Contract:
    return deploy_executor(r.w3, r.manifest)


def _models(r: Replica) -> dict:
    m, rpc = r.manifest, RpcClient(r.url)
    v2 = [p for p in m.pools if p.kind == "uniswap_v2"]
    v3 = [p for p in m.pools if p.kind == "uniswap_v3"]
    res = lens.read_v2(rpc, [p.address for p in v2])
    st = lens.read_v3(rpc, [p.address for p in v3])
    t = m.token
    out = {}
    for p in v2:
        out[(p.venue, p.token0, p.token1, p.fee)] = v2_model(
            p.address, t(p.token0).address, t(p.token1).address, res[p.address]
        )
    for p in v3:
        out[(p.venue, p.token0, p.token1, p.fee)] = v3_model(
            p.address, t(p.token0).address, t(p.token1).address, p.fee, st[p.address]
        )
    return out


def _pool(models: dict, venue: str, a: str, b: str, fee: int):
    return models.get((venue, a, b, fee)) or models[(venue, b, a, fee)]


def _hop(pool, token_in: str, v3: bool) -> Hop:
    zero_for_one = token_in.lower() == pool.token0.lower()
    return Hop(pool.address, pool.token1 if zero_for_one else pool.token0, v3, zero_for_one, 30)


def _predict(pools: list, token: str, amount: int) -> int:
    out, tin = amount, token
    for pool in pools:
        out = pool.quote_exact_in(tin, out)
        tin = pool.token1 if tin.lower() == pool.token0.lower() else pool.token0
    return out


def _send(r: Replica, executor: Contract, route: bytes, sender: str | None = None) -> dict:
    tx = executor.functions.execute(route).transact(
        {"from": sender or r.w3.eth.accounts[0], "maxPriorityFeePerGas": 0, "gas": 3_000_000}
    )
    return r.w3.eth.wait_for_transaction_receipt(tx)


def _reverts_with(call: object, signature: str) -> None:
    """The call reverts with exactly this custom error (by selector), not just any revert."""
    selector = "0x" + Web3.keccak(text=signature)[:4].hex()
    with pytest.raises(ContractCustomError) as err:
        call()  # type: ignore[operator]
    assert str(err.value.data).startswith(selector), f"expected {signature}, got {err.value.data}"


def _weth(r: Replica) -> Contract:
    return r.w3.eth.contract(address=r.manifest.token("WETH").address, abi=artifacts.load("WETH9").abi)


@pytest.mark.parametrize(
    "legs",
    [
        [("uniswap_v2", 30, False), ("sushiswap", 30, False)],  # V2 -> V2
        [("uniswap_v3", 500, True), ("sushiswap", 30, False)],  # V3 -> V2
    ],
    ids=["v2-v2", "v3-v2"],
)
def test_flash_loan_cycle_profit_is_exactly_the_model_s(replica: Replica, legs: list) -> None:
    m = replica.manifest
    executor = _deploy(replica)
    models = _models(replica)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    first = _pool(models, legs[0][0], "WETH", "USDC", legs[0][1])
    second = _pool(models, legs[1][0], "WETH", "USDC", legs[1][1])
    pools = [first, second]
    amount, profit = bracketed_optimum(lambda x: _predict(pools, weth, x) - x, max_input=10**22, min_input=10**15)
    assert profit > 0, "the scenario's dislocation should be tradable"
    hops = (_hop(first, weth, legs[0][2]), _hop(second, usdc, legs[1][2]))
    route = Route(Capital.BALANCER, m.contracts["BalancerVault"], weth, amount, profit, 0, hops)
    assert decode(encode(route)) == route
    before = _weth(replica).functions.balanceOf(executor.address).call()
    vault_before = _weth(replica).functions.balanceOf(m.contracts["BalancerVault"]).call()
    receipt = _send(replica, executor, encode(route))
    assert receipt["status"] == 1
    assert _weth(replica).functions.balanceOf(executor.address).call() - before == profit  # to the wei
    assert _weth(replica).functions.balanceOf(m.contracts["BalancerVault"]).call() == vault_before
    assert replica.w3.eth.get_balance(executor.address) == 0
    assert Web3.to_checksum_address(usdc) and _erc20_balance(replica, usdc, executor.address) == 0


def _erc20_balance(r: Replica, token: str, holder: str) -> int:
    return r.w3.eth.contract(address=token, abi=artifacts.load("WETH9").abi).functions.balanceOf(holder).call()


def test_builder_share_is_paid_to_the_coinbase(replica: Replica) -> None:
    m = replica.manifest
    executor = _deploy(replica)
    models = _models(replica)
    weth = m.token("WETH").address
    pools = [_pool(models, "uniswap_v2", "WETH", "USDC", 30), _pool(models, "sushiswap", "WETH", "USDC", 30)]
    amount, profit = bracketed_optimum(lambda x: _predict(pools, weth, x) - x, max_input=10**22, min_input=10**15)
    hops = (_hop(pools[0], weth, False), _hop(pools[1], m.token("USDC").address, False))
    route = Route(Capital.BALANCER, m.contracts["BalancerVault"], weth, amount, 0, 2500, hops)
    raw_rpc(replica.url, "anvil_setCoinbase", [COINBASE])
    coinbase_before = replica.w3.eth.get_balance(COINBASE)
    receipt = _send(replica, executor, encode(route))
    assert receipt["status"] == 1
    payment = profit * 2500 // 10_000
    assert replica.w3.eth.get_balance(COINBASE) - coinbase_before == payment  # no tip: only the share
    assert _weth(replica).functions.balanceOf(executor.address).call() == profit - payment


def test_unprofitable_route_reverts_and_changes_nothing(replica: Replica) -> None:
    m = replica.manifest
    executor = _deploy(replica)
    models = _models(replica)
    weth = m.token("WETH").address
    pools = [_pool(models, "sushiswap", "WETH", "USDC", 30), _pool(models, "uniswap_v2", "WETH", "USDC", 30)]
    hops = (_hop(pools[0], weth, False), _hop(pools[1], m.token("USDC").address, False))  # the losing direction
    route = Route(Capital.BALANCER, m.contracts["BalancerVault"], weth, 10**18, 0, 0, hops)
    before = [p.to_dict() for p in _models(replica).values()]
    sender = replica.w3.eth.accounts[0]
    _reverts_with(
        lambda: executor.functions.execute(encode(route)).call({"from": sender}), "Unprofitable(uint256,uint256)"
    )
    assert [p.to_dict() for p in _models(replica).values()] == before


def test_only_owner_and_approved_callers_execute_and_callbacks_cannot_be_spoofed(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    executor = _deploy(replica)
    stranger, bot = w3.eth.accounts[3], w3.eth.accounts[4]
    route = b"\x00\x02" + bytes(74)
    _reverts_with(lambda: executor.functions.execute(route).call({"from": stranger}), "NotCaller(address)")
    _reverts_with(lambda: executor.functions.setCaller(bot, True).call({"from": stranger}), "NotOwner(address)")
    executor.functions.setCaller(bot, True).transact({"from": w3.eth.accounts[0]})
    assert executor.functions.isCaller(bot).call()
    # An approved caller passes the caller check and reaches route validation.
    _reverts_with(lambda: executor.functions.execute(route).call({"from": bot}), "RouteLength(uint256,uint256)")
    weth = m.token("WETH").address
    vault = m.contracts["BalancerVault"]
    _reverts_with(
        lambda: executor.functions.receiveFlashLoan([weth], [1], [0], b"").call({"from": vault}),
        "UnexpectedCallback(address)",
    )
    pool = next(p.address for p in m.pools if p.kind == "uniswap_v3")
    _reverts_with(
        lambda: executor.functions.uniswapV3SwapCallback(1, 0, b"").call({"from": pool}), "UnexpectedCallback(address)"
    )
    _reverts_with(lambda: executor.functions.withdraw(weth, stranger, 1).call({"from": stranger}), "NotOwner(address)")


def test_route_validation_errors_name_the_field() -> None:
    t = "0x" + "11" * 20
    hop = Hop("0x" + "22" * 20, t, False, True)
    with pytest.raises(ValueError, match="hops: 1 hops"):
        encode(Route(Capital.OWN, t, t, 1, 0, 0, (hop,)))
    with pytest.raises(ValueError, match="amount_in"):
        encode(Route(Capital.OWN, t, t, 0, 0, 0, (hop, hop)))
    with pytest.raises(ValueError, match=r"hops\[0\].pool: not an address"):
        encode(Route(Capital.OWN, t, t, 1, 0, 0, (Hop("0x12", t, False, True), hop)))
    with pytest.raises(ValueError, match="builder_share_bps"):
        encode(Route(Capital.OWN, t, t, 1, 0, 10_001, (hop, hop)))


def _usdc_cycle(r: Replica) -> tuple[tuple[Hop, ...], int, int]:
    """The replica's WETH/USDC dislocation as a cycle started in USDC, sized at its optimum."""
    m = r.manifest
    models = _models(r)
    usdc = m.token("USDC").address
    pools = [_pool(models, "sushiswap", "WETH", "USDC", 30), _pool(models, "uniswap_v2", "WETH", "USDC", 30)]
    amount, profit = bracketed_optimum(lambda x: _predict(pools, usdc, x) - x, max_input=10**13, min_input=10**6)
    assert profit > 0, "the dislocation, started in USDC, should be tradable"
    return (_hop(pools[0], usdc, False), _hop(pools[1], m.token("WETH").address, False)), amount, profit


def test_a_usdc_profit_pays_the_builder_the_attached_eth_only_on_success(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    executor = _deploy(replica)
    usdc = m.token("USDC").address
    hops, amount, profit = _usdc_cycle(replica)
    raw_rpc(replica.url, "anvil_setCoinbase", [COINBASE])
    sender, bribe = w3.eth.accounts[0], 3 * 10**15

    def send(route: Route, value: int) -> dict:
        tx = executor.functions.execute(encode(route)).transact(
            {"from": sender, "value": value, "maxPriorityFeePerGas": 0, "gas": 1_000_000}
        )
        return w3.eth.wait_for_transaction_receipt(tx)

    # Asking one unit more than the cycle makes: the call reverts, the attached ETH never leaves the sender.
    wealth = (w3.eth.get_balance(sender), w3.eth.get_balance(COINBASE))
    failed = send(Route(Capital.LAST_HOP, "0x" + "00" * 20, usdc, amount, profit + 1, 0, hops), bribe)
    assert failed["status"] == 0
    gas_paid = failed["gasUsed"] * failed["effectiveGasPrice"]
    assert (w3.eth.get_balance(sender), w3.eth.get_balance(COINBASE)) == (wealth[0] - gas_paid, wealth[1])
    # A share on top of attached ETH: refused (one way of paying per route).
    _reverts_with(
        lambda: executor.functions.execute(
            encode(Route(Capital.LAST_HOP, "0x" + "00" * 20, usdc, amount, 0, 100, hops))
        ).call({"from": sender, "value": bribe}),
        "BadBuilderShare(uint256,address)",
    )
    # At exactly the profit: the builder gets the attached ETH whole, the executor keeps the USDC profit whole.
    sender_before, coinbase_before = w3.eth.get_balance(sender), w3.eth.get_balance(COINBASE)
    ok = send(Route(Capital.LAST_HOP, "0x" + "00" * 20, usdc, amount, profit, 0, hops), bribe)
    assert ok["status"] == 1
    assert w3.eth.get_balance(COINBASE) - coinbase_before == bribe
    assert sender_before - w3.eth.get_balance(sender) == bribe + ok["gasUsed"] * ok["effectiveGasPrice"]
    assert _erc20_balance(replica, usdc, executor.address) == profit  # to the unit
    assert w3.eth.get_balance(executor.address) == 0
