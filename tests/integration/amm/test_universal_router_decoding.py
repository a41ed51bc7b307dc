"""UniversalRouter decoding proven on real bytecode: the replica's UniversalRouter 2.1.0 (npm) executes the
very calldata the decoder reads, and the decoder's prediction — every hop's amounts, in order, and every
touched pool's state afterwards — equals what the chain did, to the wei."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import HTTPProvider, Web3

from arbbot.amm.uniswap_v2 import UniswapV2Pool
from arbbot.chain.anvil import AnvilNode, dev_key, pid_alive
from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, snapshot
from arbbot.devnet import universal_router as ur
from arbbot.devnet.context import known_pools, routers_from_manifest
from arbbot.devnet.manifest import Manifest
from arbbot.devnet.v4 import PERMIT2_ABI, pool_key_of
from arbbot.engine.bootstrap import directory_for, load_store
from arbbot.strategy.backrun import HopEffect, apply_victim
from arbbot.strategy.mempool import PendingSwaps, decode_swap

pytestmark = pytest.mark.replica  # every test here starts a replica

DEADLINE = 2**63
ETH = "0x0000000000000000000000000000000000000000"
V2_SWAP = "0x" + keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()
V3_SWAP = "0x" + keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)").hex()
V4_SWAP = "0x" + keccak(text="Swap(bytes32,address,int128,int128,uint160,uint128,int24,uint24)").hex()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Manifest]]:
    snap = snapshot.ensure("v4")
    log = Path(tmp_path_factory.mktemp("ur")) / "anvil.log"
    n = AnvilNode(load_state=snap.state_path, log_path=log)
    n.start()
    pid = n.pid
    try:
        yield n.url, snap.manifest
    finally:
        n.stop()
    assert not pid_alive(pid)


def _entry(m: Manifest, kind: str, **match: object):  # type: ignore[no-untyped-def]
    return next(p for p in m.pools if p.kind == kind and all(getattr(p, k) == v for k, v in match.items()))


def _chain_hops(w3: Web3, receipt, store_pools) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    """(pool, amount in, amount out) of every Swap event in the receipt, in log order."""
    out = []
    for log in receipt["logs"]:
        topic = "0x" + bytes(log["topics"][0]).hex()
        if topic == V2_SWAP:
            a0in, a1in, a0out, a1out = abi_decode(["uint256"] * 4, bytes(log["data"]))
            out.append((log["address"].lower(), a0in + a1in, a0out + a1out))
        elif topic == V3_SWAP:
            a0, a1, *_ = abi_decode(["int256", "int256", "uint160", "uint128", "int24"], bytes(log["data"]))
            out.append((log["address"].lower(), max(a0, a1), -min(a0, a1)))  # pool's view: + came in
        elif topic == V4_SWAP:
            a0, a1, *_ = abi_decode(["int128", "int128", "uint160", "uint128", "int24", "uint24"], bytes(log["data"]))
            pool_id = "0x" + bytes(log["topics"][1]).hex()
            out.append((pool_id, -min(a0, a1), max(a0, a1)))  # swapper's view: - paid in
    return out


def _state(p) -> tuple:  # type: ignore[no-untyped-def]
    if isinstance(p, UniswapV2Pool):
        return (p.reserve0, p.reserve1)
    return (p.sqrt_price_x96, p.tick, p.liquidity)


def _prove(
    url: str, m: Manifest, call: ur.RouterCall, value: int | None = None, v1_2: str | None = None
) -> list[HopEffect]:
    """Decode `call`, predict its effect on the pools at the head, run it through the real router (2.1.0, or
    the 1.6.0 one at `v1_2`) and check the prediction hop by hop and pool by pool. Returns the predicted hops."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    address = v1_2 or m.contracts["UniversalRouter"]
    abi = artifacts.load("UniversalRouterV1_2" if v1_2 else "UniversalRouter").abi
    router = w3.eth.contract(address=address, abi=abi)
    data = router.encode_abi("execute", args=[call.commands, call.inputs, DEADLINE])
    value = call.value if value is None else value
    rpc = RpcClient(url)
    discovered = known_pools(m)
    weth = m.token("WETH").address
    before = load_store(rpc, discovered, weth=weth)
    (universal,) = [r for r in routers_from_manifest(m) if r.kind == "universal_router_v2"]
    if v1_2:
        universal = replace(universal, kind="universal_router_v1_2", address=v1_2)
    swaps: PendingSwaps | None = decode_swap(
        {"to": router.address, "input": data, "value": hex(value)}, {router.address.lower(): universal.kind}, weth
    )
    assert swaps is not None, "the decoder refused a transaction the router runs"
    effect = apply_victim(swaps, universal, before.pools, directory_for(discovered))
    assert effect is not None
    victim = w3.eth.accounts[5]
    tx = w3.eth.send_transaction({"from": victim, "to": router.address, "data": data, "value": value, "gas": 3_000_000})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    chain = _chain_hops(w3, receipt, before.pools)
    assert [(h.pool, h.amount_in, h.amount_out) for h in effect.hops] == chain
    after = load_store(rpc, discovered, weth=weth)
    for address, model in effect.pools.items():
        assert _state(model) == _state(after.pools[address]), address
    return list(effect.hops)


@pytest.fixture
def fresh(node: tuple[str, Manifest]) -> Iterator[tuple[str, Manifest]]:
    url, m = node
    snap_id = raw_rpc(url, "evm_snapshot", [])
    yield url, m
    assert raw_rpc(url, "evm_revert", [snap_id]) is True


def USDC_WETH(m: Manifest) -> bytes:
    return ur.v3_path([m.token("USDC").address, m.token("WETH").address], [500])


def _wrapped(m: Manifest, amount: int) -> ur.Plan:
    return ur.Plan.new().add(ur.WRAP_ETH, ur.wrap_eth(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE))


def test_v2_hop_after_wrap(fresh: tuple[str, Manifest]) -> None:
    url, m = fresh
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    plan = _wrapped(m, 3 * 10**18).add(
        ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, ur.CONTRACT_BALANCE, 1, [weth, usdc], False)
    )
    (hop,) = _prove(url, m, plan.call(3 * 10**18))
    assert hop.pool == _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC").address.lower()
    assert hop.amount_in == 3 * 10**18


def test_v3_hop_after_wrap(fresh: tuple[str, Manifest]) -> None:
    url, m = fresh
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    path = ur.v3_path([weth, usdc], [500])
    plan = _wrapped(m, 2 * 10**18).add(
        ur.V3_SWAP_EXACT_IN, ur.v3_swap(ur.MSG_SENDER, ur.CONTRACT_BALANCE, 1, path, False)
    )
    (hop,) = _prove(url, m, plan.call(2 * 10**18))
    assert hop.pool == _entry(m, "uniswap_v3", token0="WETH", token1="USDC").address.lower()


def test_v4_hop(fresh: tuple[str, Manifest]) -> None:
    url, m = fresh
    v4 = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
    (hop,) = _prove(url, m, ur.v4_exact_in_single(pool_key_of(m, v4), True, 4 * 10**18, 1))
    assert hop.pool == v4.address.lower() and hop.amount_in == 4 * 10**18


def mixed_v2_v3_v4(m: Manifest, amount: int, min_out: int = 1) -> ur.RouterCall:
    """ETH in: WRAP, V2 WETH→USDC, V3 USDC→WETH, UNWRAP, V4 ETH→USDC; each step's output feeds the next
    through the router's balance or the PoolManager's delta."""
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    key = pool_key_of(m, _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none"))
    v4 = ur.v4_plan([
        (ur.SETTLE, ur.settle(ETH, ur.CONTRACT_BALANCE, False)),
        (ur.SWAP_EXACT_IN_SINGLE, ur.v4_exact_in_single_params(key, True, ur.OPEN_DELTA, min_out)),
        (ur.TAKE_ALL, ur.currency_amount(usdc, min_out)),
    ])  # fmt: skip
    plan = (
        ur.Plan.new()
        .add(ur.WRAP_ETH, ur.wrap_eth(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE))
        .add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 1, [weth, usdc], False))
        .add(ur.V3_SWAP_EXACT_IN, ur.v3_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 1, USDC_WETH(m), False))
        .add(ur.UNWRAP_WETH, ur.unwrap_weth(ur.ADDRESS_THIS, 1))
        .add(ur.V4_SWAP, v4)
    )  # fmt: skip
    return plan.call(amount)


def test_mixed_v2_v3_v4_in_one_execute_is_one_chained_swap(fresh: tuple[str, Manifest]) -> None:
    url, m = fresh
    hops = _prove(url, m, mixed_v2_v3_v4(m, 5 * 10**18))
    assert [h.pool for h in hops] == [
        _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC").address.lower(),
        _entry(m, "uniswap_v3", token0="WETH", token1="USDC").address.lower(),
        _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none").address.lower(),
    ]
    assert all(a.amount_out == b.amount_in for a, b in pairwise(hops))  # chained exactly


def test_swap_then_unwrap_to_the_sender(fresh: tuple[str, Manifest]) -> None:
    url, m = fresh
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    plan = (
        _wrapped(m, 10**18)
        .add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 1, [weth, usdc], False))
        .add(ur.V3_SWAP_EXACT_IN, ur.v3_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 1, USDC_WETH(m), False))
        .add(ur.UNWRAP_WETH, ur.unwrap_weth(ur.MSG_SENDER, 1))
    )  # fmt: skip
    assert len(_prove(url, m, plan.call(10**18))) == 2


def test_exact_output_hops(fresh: tuple[str, Manifest]) -> None:
    url, m = fresh
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    v4 = pool_key_of(m, _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none"))
    want = 1_000 * 10 ** m.token("USDC").decimals
    v4_plan = ur.v4_plan([
        (ur.SWAP_EXACT_OUT_SINGLE, ur.v4_exact_out_single_params(v4, True, want, 10**18)),
        (ur.SETTLE_ALL, ur.currency_amount(ETH, 10**18)),
        (ur.TAKE_ALL, ur.currency_amount(usdc, want)),
    ])  # fmt: skip
    plan = (
        ur.Plan.new()
        .add(ur.WRAP_ETH, ur.wrap_eth(ur.ADDRESS_THIS, 10**18))
        .add(ur.V2_SWAP_EXACT_OUT, ur.v2_swap(ur.MSG_SENDER, want, 10**18, [weth, usdc], False))
        .add(ur.V4_SWAP, v4_plan)
        .add(ur.SWEEP, ur.sweep(weth, ur.MSG_SENDER, 0))
        .add(ur.SWEEP, ur.sweep(ETH, ur.MSG_SENDER, 0))
    )
    hops = _prove(url, m, plan.call(2 * 10**18))
    assert [h.amount_out for h in hops] == [want, want]


def test_execute_sub_plan(fresh: tuple[str, Manifest]) -> None:
    url, m = fresh
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    inner = ur.Plan.new().add(
        ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, ur.CONTRACT_BALANCE, 1, [weth, usdc], False)
    )
    plan = _wrapped(m, 10**18).add(ur.EXECUTE_SUB_PLAN, inner.encoded())
    assert len(_prove(url, m, plan.call(10**18))) == 1


@pytest.mark.parametrize("inner_min", [1, 10**30])
def test_allow_revert_sub_plan(fresh: tuple[str, Manifest], inner_min: int) -> None:
    """A sub-plan flagged allow-revert: when its swap's minimum cannot be met the router goes on without
    it (and the decoder predicts exactly that); otherwise it swaps."""
    url, m = fresh
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    v4 = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
    inner = ur.Plan.new().add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, 10**18, inner_min, [weth, usdc], False))
    tail = ur.v4_exact_in_single(pool_key_of(m, v4), True, 10**18, 1)
    plan = (
        ur.Plan.new()
        .add(ur.WRAP_ETH, ur.wrap_eth(ur.ADDRESS_THIS, 10**18))
        .add(ur.EXECUTE_SUB_PLAN, inner.encoded(), allow_revert=True)
        .add(tail.commands[0], tail.inputs[0])
        .add(ur.SWEEP, ur.sweep(weth, ur.MSG_SENDER, 0))
    )
    hops = _prove(url, m, plan.call(2 * 10**18))
    assert [h.pool for h in hops][-1] == v4.address.lower()
    assert len(hops) == (2 if inner_min == 1 else 1)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(10**15, 40 * 10**18))
def test_mixed_route_is_exact_for_any_amount(node: tuple[str, Manifest], amount: int) -> None:
    url, m = node
    snap_id = raw_rpc(url, "evm_snapshot", [])
    try:
        hops = _prove(url, m, mixed_v2_v3_v4(m, amount))
        assert hops[0].amount_in == amount
    finally:
        assert raw_rpc(url, "evm_revert", [snap_id]) is True


@pytest.fixture(scope="module")
def v1_2_router(node: tuple[str, Manifest]) -> str:
    url, m = node
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    return ur.deploy_universal_router_v1_2(w3, m, w3.eth.accounts[0])


def test_v1_2_router_runs_the_same_chains_exactly(fresh: tuple[str, Manifest], v1_2_router: str) -> None:
    """mainnet's "V1_2" table (npm 1.6.0 bytecode): WRAP, V2, V3, UNWRAP, a sub-plan and an allow-revert one."""
    url, m = fresh
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    inner = (
        ur.Plan.new()
        .add(ur.WRAP_ETH, ur.wrap_eth(ur.ADDRESS_THIS, 10**18))
        .add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, ur.CONTRACT_BALANCE, 10**30, [weth, usdc], False))
    )
    tail = ur.Plan.new().add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, 10**17, 1, [weth, usdc], False))
    plan = (
        ur.Plan.new()
        .add(ur.WRAP_ETH, ur.wrap_eth(ur.ADDRESS_THIS, 11 * 10**17))
        .add(ur.EXECUTE_SUB_PLAN, tail.encoded())
        .add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.ADDRESS_THIS, 10**18, 1, [weth, usdc], False))
        .add(ur.V3_SWAP_EXACT_IN, ur.v3_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 1, USDC_WETH(m), False))
        .add(ur.UNWRAP_WETH, ur.unwrap_weth(ur.MSG_SENDER, 1))
        .add(ur.EXECUTE_SUB_PLAN, inner.encoded(), allow_revert=True)  # its minimum cannot be met: skipped
        .add(ur.SWEEP, ur.sweep(ETH, ur.MSG_SENDER, 0))
    )
    hops = _prove(url, m, plan.call(3 * 10**18), v1_2=v1_2_router)
    assert [h.amount_in for h in hops][:2] == [10**17, 10**18] and len(hops) == 3


def test_v1_2_router_seaport_byte_is_not_a_v4_swap(fresh: tuple[str, Manifest], v1_2_router: str) -> None:
    """0x10 on the 1.6.0 router is SEAPORT_V1_5: the V4 plan that the 2.1.0 router would swap is handed to
    "Seaport" there (the zero address on the replica, so the call goes nowhere) and no pool moves; the decoder
    keyed to v1.2 reads no swap, the one keyed to v2 would have read one."""
    url, m = fresh
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    v4 = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
    call = ur.v4_exact_in_single(pool_key_of(m, v4), True, 10**18, 1)
    assert len(w3.eth.get_code(v1_2_router)) > 0  # the 1.6.0 router is there (not reverted away)
    router = w3.eth.contract(address=v1_2_router, abi=artifacts.load("UniversalRouterV1_2").abi)
    data = router.encode_abi("execute", args=[call.commands, call.inputs, DEADLINE])
    tx = {"to": v1_2_router, "input": data, "value": hex(call.value)}
    assert decode_swap(tx, {v1_2_router.lower(): "universal_router_v1_2"}) is None
    assert decode_swap(tx, {v1_2_router.lower(): "universal_router_v2"}) is not None
    sent = w3.eth.send_transaction({"from": w3.eth.accounts[5], "to": v1_2_router, "data": data,
                                    "value": call.value, "gas": 1_000_000})  # fmt: skip
    receipt = w3.eth.wait_for_transaction_receipt(sent)
    assert receipt["status"] == 1 and _chain_hops(w3, receipt, {}) == []


# -- user-paid swaps: the input comes from the sender's wallet through Permit2, as most ERC-20 swaps do ------
ERC20_ABI = [
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "s", "type": "address"}, {"name": "a", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "o", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
]  # fmt: skip
MAX_UINT48 = 2**48 - 1


def _victim_holds_usdc(url: str, m: Manifest, eth_in: int) -> tuple[Web3, str, int]:
    """The victim buys USDC with ETH through the router (a transaction before the one under test) and lets
    Permit2 pull it (the one-time ERC-20 approval every Permit2 user gives). Returns (w3, victim, USDC held)."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    victim = w3.eth.accounts[5]
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    buy = _wrapped(m, eth_in).add(
        ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, ur.CONTRACT_BALANCE, 1, [weth, usdc], False)
    )
    router = w3.eth.contract(address=m.contracts["UniversalRouter"], abi=artifacts.load("UniversalRouter").abi)
    call = buy.call(eth_in)
    data = router.encode_abi("execute", args=[call.commands, call.inputs, DEADLINE])
    for tx in (
        {"from": victim, "to": router.address, "data": data, "value": eth_in, "gas": 1_000_000},
        {"from": victim, "to": usdc, "gas": 100_000,
         "data": w3.eth.contract(abi=ERC20_ABI).encode_abi("approve", args=[artifacts.PERMIT2_ADDRESS, 2**256 - 1])},
    ):  # fmt: skip
        assert w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))["status"] == 1
    held = w3.eth.contract(address=usdc, abi=ERC20_ABI).functions.balanceOf(victim).call()
    assert held > 0
    return w3, victim, held


def _permit2_allows_router(w3: Web3, m: Manifest, victim: str, token: str) -> None:
    """The on-chain Permit2 allowance for the router (the path wallets use when no signature rides along)."""
    permit2 = w3.eth.contract(address=artifacts.PERMIT2_ADDRESS, abi=PERMIT2_ABI)
    data = permit2.encode_abi("approve", args=[token, m.contracts["UniversalRouter"], 2**160 - 1, MAX_UINT48])
    tx = {"from": victim, "to": artifacts.PERMIT2_ADDRESS, "data": data, "gas": 200_000}
    assert w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))["status"] == 1


def _signed_permit(w3: Web3, m: Manifest, victim: str, token: str, amount: int) -> bytes:
    """A PERMIT2_PERMIT input: a PermitSingle for the router signed by the victim (EIP-712) over the domain
    separator Permit2 itself reports. The replica's Permit2 runtime (npm) carries the separator cached when
    that code was built for chain 31337 at another address, so a separator recomputed from this address
    would not verify here; on mainnet both agree."""
    spender = m.contracts["UniversalRouter"]
    domain = bytes(w3.eth.call({"to": artifacts.PERMIT2_ADDRESS, "data": "0x3644e515"}))  # DOMAIN_SEPARATOR()
    details_type = "PermitDetails(address token,uint160 amount,uint48 expiration,uint48 nonce)"
    permit_type = "PermitSingle(PermitDetails details,address spender,uint256 sigDeadline)" + details_type
    details = (token, amount, MAX_UINT48, 0)
    details_hash = keccak(abi_encode(["bytes32", "address", "uint160", "uint48", "uint48"],
                                     [keccak(text=details_type), *details]))  # fmt: skip
    struct = keccak(abi_encode(["bytes32", "bytes32", "address", "uint256"],
                               [keccak(text=permit_type), details_hash, spender, DEADLINE]))  # fmt: skip
    digest = keccak(b"\x19\x01" + domain + struct)
    assert w3.eth.accounts[5] == victim
    signature = Account.unsafe_sign_hash(digest, dev_key(5)).signature
    return abi_encode(["((address,uint160,uint48,uint48),address,uint256)", "bytes"],
                      [(details, spender, DEADLINE), signature])  # fmt: skip


def test_signed_permit_then_user_paid_v3_and_v2_exact_output(fresh: tuple[str, Manifest]) -> None:
    """PERMIT2_PERMIT with the victim's signature, then a V3 exact-input and a V2 exact-output swap, both paid
    from the victim's wallet through Permit2: the router holds none of the input at any point. USDC (6
    decimals) into WETH (18) is where a V2 exact output pays more than asked."""
    url, m = fresh
    w3, victim, held = _victim_holds_usdc(url, m, 6 * 10**18)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    pay_v3, want_weth = held // 3, 10**17
    plan = (
        ur.Plan.new()
        .add(0x0A, _signed_permit(w3, m, victim, usdc, held))  # PERMIT2_PERMIT: no pool moves
        .add(ur.V3_SWAP_EXACT_IN, ur.v3_swap(ur.MSG_SENDER, pay_v3, 1, USDC_WETH(m), True))
        .add(ur.V2_SWAP_EXACT_OUT, ur.v2_swap(ur.MSG_SENDER, want_weth, held - pay_v3, [usdc, weth], True))
    )
    hops = _prove(url, m, plan.call(0))
    assert hops[0].amount_in == pay_v3
    # The router rounds the USDC input up and the pair pays what that buys: more WETH than asked, by up to
    # one USDC unit's worth (the decoder follows the pair, as `_prove` checked against the chain).
    assert want_weth < hops[1].amount_out < want_weth + 10**12
    assert [h.pool for h in hops] == [
        _entry(m, "uniswap_v3", token0="WETH", token1="USDC").address.lower(),
        _entry(m, "uniswap_v2", venue="uniswap_v2", token0="WETH", token1="USDC").address.lower(),
    ]


def test_permit2_transfer_into_the_router_then_swaps_from_its_balance(fresh: tuple[str, Manifest]) -> None:
    """PERMIT2_TRANSFER_FROM moves the victim's USDC into the router (on the allowance path), then a V2 swap
    spends the router's whole balance and the WETH is unwrapped to the victim: the decoder follows the
    transferred amount through the router's balance."""
    url, m = fresh
    w3, victim, held = _victim_holds_usdc(url, m, 4 * 10**18)
    _permit2_allows_router(w3, m, victim, m.token("USDC").address)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    moved = held // 2
    plan = (
        ur.Plan.new()
        .add(ur.PERMIT2_TRANSFER_FROM, encode_transfer(usdc, ur.ADDRESS_THIS, moved))
        .add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 1, [usdc, weth], False))
        .add(ur.UNWRAP_WETH, ur.unwrap_weth(ur.MSG_SENDER, 1))
    )
    (hop,) = _prove(url, m, plan.call(0))
    assert hop.amount_in == moved


def encode_transfer(token: str, recipient: str, amount: int) -> bytes:
    return abi_encode(["address", "address", "uint160"], [token, recipient, amount])


def test_v4_swap_settled_from_the_wallet_through_permit2(fresh: tuple[str, Manifest]) -> None:
    """A V4 USDC→ETH swap whose SETTLE_ALL pulls the USDC from the victim's wallet through Permit2."""
    url, m = fresh
    w3, victim, held = _victim_holds_usdc(url, m, 3 * 10**18)
    usdc = m.token("USDC").address
    _permit2_allows_router(w3, m, victim, usdc)
    v4 = _entry(m, "uniswap_v4", token0="ETH", token1="USDC", hook_kind="none")
    (hop,) = _prove(url, m, ur.v4_exact_in_single(pool_key_of(m, v4), False, held, 1))
    assert hop.pool == v4.address.lower() and hop.amount_in == held
