"""UniversalRouter v1.2 and v2 decoding: command tables by version, chains through the router's balance and
the PoolManager's deltas, allow-revert sub-plans, and hostile calldata (always None, never an exception)."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.chain.addresses import v4_pool_id as chain_pool_id
from arbbot.devnet import universal_router as ur
from arbbot.devnet.universal_router import PoolKey, v4_exact_in, v4_exact_in_single
from arbbot.strategy.mempool import decode_swap, v4_pool_id
from arbbot.strategy.mempool.commands import V1_2, V2

UR = "0x" + "7a" * 20
ETH, USDC, DAI = "0x" + "00" * 20, "0x" + "a0" * 20, "0x" + "d1" * 20
WETH = "0x" + "ee" * 20
USDC_WETH = ur.v3_path([USDC, WETH], [500])
HOOKS = "0x" + "00" * 18 + "10" + "00"
EXECUTE = keccak(text="execute(bytes,bytes[],uint256)")[:4]
V2R = {UR: "universal_router_v2"}
V1R = {UR: "universal_router_v1_2"}


def _tx(commands: bytes, inputs: list[bytes], value: int = 0, deadline: int = 2**40) -> dict:
    data = EXECUTE + encode(["bytes", "bytes[]", "uint256"], [bytes(commands), inputs, deadline])
    return {"to": UR, "input": "0x" + data.hex(), "value": value}


def _plan_tx(plan: ur.Plan, value: int = 0) -> dict:
    return _tx(bytes(plan.commands), plan.inputs, value)


def test_command_tables_differ_where_the_versions_do() -> None:
    assert V2.names[0x10] == "V4_SWAP" and V1_2.names[0x10] == "SEAPORT_V1_5"
    assert V2.type_mask == 0x7F and V1_2.type_mask == 0x3F
    assert V2.names[0x21] == V1_2.names[0x21] == "EXECUTE_SUB_PLAN"
    key = PoolKey(ETH, USDC, 500, 10)
    call = v4_exact_in_single(key, True, 10**18, 1)
    assert decode_swap(_tx(call.commands, call.inputs, call.value), V2R) is not None
    # The same bytes sent to a v1.2 router buy on Seaport: no pool is touched, so no swap to backrun.
    assert decode_swap(_tx(call.commands, call.inputs, call.value), V1R) is None
    assert decode_swap(_tx(call.commands, call.inputs, call.value), {UR: "universal_router"}) is not None  # alias


def test_exact_in_single_round_trips_with_its_pool_id() -> None:
    key = PoolKey(ETH, USDC, 500, 10, HOOKS)
    for zero_for_one, (tin, tout) in ((True, (ETH, USDC)), (False, (USDC, ETH))):
        call = v4_exact_in_single(key, zero_for_one, 5 * 10**18, 123)
        swaps = decode_swap(_tx(call.commands, call.inputs, call.value), V2R)
        assert swaps is not None and len(swaps) == 1
        (swap,) = swaps
        assert swap.exact_in and swap.amount == 5 * 10**18 and swap.limit == 123
        (leg,) = swap.legs
        assert (leg.token_in.lower(), leg.token_out.lower(), leg.fee, leg.venue) == (tin, tout, 500, "v4")
        assert leg.pool_id == chain_pool_id(ETH, USDC, 500, 10, HOOKS) == v4_pool_id(USDC, ETH, 500, 10, HOOKS)
        assert swap.deadline == 2**40


def test_exact_in_multi_hop_names_every_pool() -> None:
    path = [(USDC, 500, 10, HOOKS), (DAI, 100, 1, ETH)]
    call = v4_exact_in(ETH, path, 10**18, 7)
    swaps = decode_swap(_tx(call.commands, call.inputs, call.value), V2R)
    assert swaps is not None
    (swap,) = swaps
    assert [(g.token_in.lower(), g.token_out.lower()) for g in swap.legs] == [(ETH, USDC), (USDC, DAI)]
    assert [g.pool_id for g in swap.legs] == [
        chain_pool_id(ETH, USDC, 500, 10, HOOKS), chain_pool_id(USDC, DAI, 100, 1, ETH),
    ]  # fmt: skip


def test_v1_2_v2_and_v3_swaps_from_the_user_decode_in_order() -> None:
    plan = (
        ur.Plan.new()
        .add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, 10**18, 5, [WETH, USDC, DAI], True))
        .add(ur.PERMIT2_TRANSFER_FROM, encode(["address", "address", "uint160"], [DAI, UR, 0]))
        .add(ur.V3_SWAP_EXACT_OUT, ur.v3_swap(ur.MSG_SENDER, 77, 10**9, ur.v3_path([DAI, USDC], [100]), True))
    )
    for routers in (V1R, V2R):
        swaps = decode_swap(_plan_tx(plan), routers)
        assert swaps is not None and [s.exact_in for s in swaps] == [True, False]
        first, second = swaps
        assert [(g.token_in, g.token_out, g.venue) for g in first.legs] == [
            (ur_cs(WETH), ur_cs(USDC), "v2"), (ur_cs(USDC), ur_cs(DAI), "v2"),
        ]  # fmt: skip
        # exact output: the path is written output-first, the swap runs USDC -> DAI
        assert [(g.token_in, g.token_out, g.fee) for g in second.legs] == [(ur_cs(USDC), ur_cs(DAI), 100)]
        assert (second.amount, second.limit) == (77, 10**9)


def ur_cs(a: str) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(a)


def test_chains_through_the_router_become_one_swap_with_each_minimum_on_its_leg() -> None:
    key = PoolKey(ETH, USDC, 500, 10)
    v4 = ur.v4_plan([
        (ur.SETTLE, ur.settle(ETH, ur.CONTRACT_BALANCE, False)),
        (ur.SWAP_EXACT_IN_SINGLE, ur.v4_exact_in_single_params(key, True, ur.OPEN_DELTA, 9)),
        (ur.TAKE_ALL, ur.currency_amount(USDC, 11)),
    ])  # fmt: skip
    plan = (
        ur.Plan.new()
        .add(ur.WRAP_ETH, ur.wrap_eth(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE))
        .add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 3, [WETH, USDC], False))
        .add(ur.V3_SWAP_EXACT_IN, ur.v3_swap(ur.ADDRESS_THIS, ur.CONTRACT_BALANCE, 5, USDC_WETH, False))
        .add(ur.UNWRAP_WETH, ur.unwrap_weth(ur.ADDRESS_THIS, 7))
        .add(0x10, v4)
    )  # fmt: skip
    swaps = decode_swap(_plan_tx(plan, 4 * 10**18), V2R, weth=WETH)
    assert swaps is not None
    (swap,) = swaps
    assert swap.amount == 4 * 10**18 and [g.venue for g in swap.legs] == ["v2", "v3", "v4"]
    assert [g.min_out for g in swap.legs] == [3, 7, 0] and swap.limit == 11  # UNWRAP's 7 checks the V3 output
    assert decode_swap(_plan_tx(plan, 4 * 10**18), V2R) is None  # WRAP without knowing WETH: not followed


def test_allow_revert_sub_plans_form_a_group() -> None:
    inner = ur.Plan.new().add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, 10**18, 10**30, [WETH, USDC], True))
    plan = ur.Plan.new().add(ur.EXECUTE_SUB_PLAN, inner.encoded(), allow_revert=True)
    plan.add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, 10**18, 1, [WETH, USDC], True))
    swaps = decode_swap(_plan_tx(plan), V2R)
    assert swaps is not None and [s.group for s in swaps] == [0, None]
    strict = ur.Plan.new().add(ur.EXECUTE_SUB_PLAN, inner.encoded())
    swaps = decode_swap(_plan_tx(strict), V2R)
    assert swaps is not None and swaps[0].group is None


def test_what_is_not_modelled_is_refused() -> None:
    call = v4_exact_in_single(PoolKey(ETH, USDC, 500, 10), True, 10**18, 0)
    open_delta = v4_exact_in_single(PoolKey(ETH, USDC, 500, 10), True, 0, 0)  # OPEN_DELTA with no credit
    assert decode_swap(_tx(open_delta.commands, open_delta.inputs), V2R) is None
    assert decode_swap(_tx(bytes([0x10]), [b"\x01\x02"]), V2R) is None  # garbage plan
    assert decode_swap({"to": UR, "input": "0xdeadbeef"}, V2R) is None
    assert decode_swap(_tx(bytes([0x10 | 0x80]), call.inputs, call.value), V2R) is not None  # the flag hides no swap
    assert decode_swap(_tx(call.commands, call.inputs), V2R) is None  # native ether in, none sent: it reverts
    liquidity = bytes([0x12])  # V3_POSITION_MANAGER_CALL: liquidity this decoder does not follow
    assert decode_swap(_tx(call.commands + liquidity, [*call.inputs, b""]), V2R) is None
    assert decode_swap(_tx(bytes([0x3F]), [b""]), V2R) is None  # not in the table: the router reverts
    clear = ur.v4_plan([(0x13, encode(["address", "uint256"], [ETH, 0]))])  # CLEAR_OR_TAKE: V4Router refuses it
    assert decode_swap(_tx(bytes([0x10]), [clear]), V2R) is None
    from_nothing = ur.Plan.new().add(
        ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, ur.CONTRACT_BALANCE, 1, [WETH, USDC], False)
    )
    assert decode_swap(_plan_tx(from_nothing), V2R) is None  # the router's balance of a token it never got
    paid = ur.Plan.new().add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, 0, 1, [WETH, USDC], True))
    assert decode_swap(_plan_tx(paid), V2R) is None  # ALREADY_PAID: tokens sent to the pair elsewhere
    nothing = ur.Plan.new().add(ur.SWEEP, ur.sweep(WETH, ur.MSG_SENDER, 0))
    assert decode_swap(_plan_tx(nothing), V2R) is None  # no swap at all


def _nest(depth: int) -> ur.Plan:
    plan = ur.Plan.new().add(ur.V2_SWAP_EXACT_IN, ur.v2_swap(ur.MSG_SENDER, 10**18, 1, [WETH, USDC], True))
    for _ in range(depth):
        plan = ur.Plan.new().add(ur.EXECUTE_SUB_PLAN, plan.encoded())
    return plan


def test_hostile_calldata_is_none() -> None:
    assert decode_swap(_plan_tx(_nest(4)), V2R) is not None
    assert decode_swap(_plan_tx(_nest(5)), V2R) is None  # deeper than any real route
    assert decode_swap(_plan_tx(_nest(200)), V2R) is None
    one = ur.v2_swap(ur.MSG_SENDER, 10**18, 1, [WETH, USDC], True)
    assert decode_swap(_tx(bytes([0x08] * 300), [one] * 300), V2R) is None  # more commands than allowed
    assert decode_swap(_tx(bytes([0x08, 0x08]), [one]), V2R) is None  # lengths differ
    good = _plan_tx(ur.Plan.new().add(ur.V2_SWAP_EXACT_IN, one))
    raw = bytes.fromhex(good["input"][2:])
    for cut in (4, 36, 100, len(raw) - 1):
        assert decode_swap({**good, "input": "0x" + raw[:cut].hex()}, V2R) is None
    huge = EXECUTE + (96).to_bytes(32, "big") + (128).to_bytes(32, "big") + (1).to_bytes(32, "big")
    huge += (2**255).to_bytes(32, "big")  # a bytes length of 2^255
    assert decode_swap({"to": UR, "input": "0x" + huge.hex()}, V2R) is None
    assert decode_swap({**good, "value": "0xnot"}, V2R) is None
    assert decode_swap({**good, "value": -1}, V2R) is None


@settings(max_examples=300)
@given(st.binary(max_size=600), st.sampled_from(["universal_router_v2", "universal_router_v1_2"]))
def test_garbage_never_raises(data: bytes, kind: str) -> None:
    for prefix in (EXECUTE, keccak(text="execute(bytes,bytes[])")[:4]):
        decode_swap({"to": UR, "input": "0x" + (prefix + data).hex(), "value": "0x5"}, {UR: kind}, weth=WETH)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=200)), max_size=12))
def test_random_commands_and_inputs_never_raise(cmds: list[tuple[int, bytes]]) -> None:
    tx = _tx(bytes(c for c, _ in cmds), [i for _, i in cmds], 10**18)
    for routers in (V1R, V2R):
        decode_swap(tx, routers, weth=WETH)


_TOKENS = [WETH, USDC, DAI, "0x" + "b7" * 20]


@st.composite
def _user_swaps(draw: st.DrawFn) -> list[tuple[int, bool, int, int, list[str], list[int]]]:
    """Swaps paid by the user, V2 or V3, exact in or out: (command, exact_in, amount, limit, path, fees)."""
    out = []
    for _ in range(draw(st.integers(1, 5))):
        command = draw(
            st.sampled_from([ur.V2_SWAP_EXACT_IN, ur.V2_SWAP_EXACT_OUT, ur.V3_SWAP_EXACT_IN, ur.V3_SWAP_EXACT_OUT])
        )
        path = draw(st.lists(st.sampled_from(_TOKENS), min_size=2, max_size=4))
        fees = [draw(st.sampled_from([100, 500, 3000, 10000])) for _ in path[1:]]
        amount, limit = draw(st.integers(1, 2**127)), draw(st.integers(0, 2**200))
        out.append((command, command in (ur.V2_SWAP_EXACT_IN, ur.V3_SWAP_EXACT_IN), amount, limit, path, fees))
    return out


@settings(max_examples=150)
@given(_user_swaps(), st.sampled_from([V1R, V2R]))
def test_user_paid_swaps_decode_to_exactly_those_swaps_in_order(swaps: list, routers: dict[str, str]) -> None:
    plan = ur.Plan.new()
    for command, _exact_in, amount, limit, path, fees in swaps:
        if command in (ur.V2_SWAP_EXACT_IN, ur.V2_SWAP_EXACT_OUT):
            plan.add(command, ur.v2_swap(ur.MSG_SENDER, amount, limit, path, True))
        else:  # an exact-output V3 path is written from the output back
            written = path if command == ur.V3_SWAP_EXACT_IN else path[::-1]
            plan.add(
                command,
                ur.v3_swap(
                    ur.MSG_SENDER,
                    amount,
                    limit,
                    ur.v3_path(written, fees if command == ur.V3_SWAP_EXACT_IN else fees[::-1]),
                    True,
                ),
            )
    got = decode_swap(_plan_tx(plan), routers)
    assert got is not None and len(got) == len(swaps)
    for swap, (command, exact_in, amount, limit, path, fees) in zip(got, swaps, strict=True):
        assert (swap.exact_in, swap.amount, swap.limit) == (exact_in, amount, limit)
        assert [g.token_in for g in swap.legs] + [swap.legs[-1].token_out] == [ur_cs(t) for t in path]
        v2 = command in (ur.V2_SWAP_EXACT_IN, ur.V2_SWAP_EXACT_OUT)
        assert [g.fee for g in swap.legs] == ([None] * len(fees) if v2 else fees)
        assert {g.venue for g in swap.legs} == {"v2" if v2 else "v3"}


def test_router_kinds_in_config_and_presets() -> None:
    from arbbot.chain.presets import MAINNET
    from arbbot.config import RouterSettings

    kinds = {r.kind: r for r in MAINNET.routers}
    assert kinds["universal_router_v1_2"].address == "0x3fC91A3afd70395Cd496C647d5a6CC9D4B2b7FAD"
    assert kinds["universal_router_v2"].address == "0x66a9893cC07D91D95644AEDD05D03f95e1dBA8Af"
    assert all(kinds[k].v2_factory and kinds[k].v3_factory for k in ("universal_router_v1_2", "universal_router_v2"))
    legacy = RouterSettings(kind="universal_router", address=UR, factory=UR)  # the older name still loads
    swaps = decode_swap(_tx(*_v4_call()), {UR: legacy.kind})
    v2 = decode_swap(_tx(*_v4_call()), V2R)
    assert swaps is not None and v2 is not None
    assert [(s.legs, s.amount, s.limit) for s in swaps] == [(s.legs, s.amount, s.limit) for s in v2]


def _v4_call() -> tuple[bytes, list[bytes], int]:
    call = v4_exact_in_single(PoolKey(ETH, USDC, 500, 10), True, 10**18, 1)
    return call.commands, call.inputs, call.value
