"""Receipt decoding: events built with the real ABI encoder, decoded back; revert data decoded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import to_checksum_address

from arbbot.audit import abi, decode
from arbbot.audit.abi import Log
from arbbot.audit.auditor import AuditOptions, Auditor
from arbbot.chain import pool_events
from arbbot.chain.rpc import RpcClient

A = [to_checksum_address("0x" + f"{i:02x}" * 20) for i in range(1, 9)]
WETH, USDC, POOL, EXEC, VAULT = A[0], A[1], A[2], A[3], A[4]


def _t(addr: str) -> str:
    return "0x" + "00" * 12 + addr[2:].lower()


def _log(address: str, topics: list[str], types: list[str], values: list, index: int = 0) -> Log:
    return Log(address, tuple(topics), encode(types, values), index)


def test_parse_log_reads_rpc_fields() -> None:
    raw = {
        "address": WETH.lower(),
        "topics": [abi.TRANSFER.upper().replace("0X", "0x")],
        "data": "0x01",
        "logIndex": "0x1f",
    }
    log = abi.parse_log(raw)
    assert (log.address, log.topics, log.data, log.index) == (WETH, (abi.TRANSFER,), b"\x01", 31)


def test_transfers_and_weth_wraps() -> None:
    logs = [
        _log(USDC, [abi.TRANSFER, _t(POOL), _t(EXEC)], ["uint256"], [5], 0),
        _log(WETH, [abi.WETH_WITHDRAWAL, _t(EXEC)], ["uint256"], [7], 1),
        _log(WETH, [abi.WETH_DEPOSIT, _t(EXEC)], ["uint256"], [3], 2),
        _log(USDC, [abi.TRANSFER, _t(POOL), _t(EXEC), _t(VAULT)], [], [], 3),  # ERC-721: token id indexed
        _log(USDC, [abi.WETH_WITHDRAWAL, _t(EXEC)], ["uint256"], [9], 4),  # not the WETH contract
    ]
    got = decode.transfers(logs, WETH)
    assert [(t.token, t.sender, t.recipient, t.amount) for t in got] == [
        (USDC, POOL, EXEC, 5),
        (WETH, EXEC, decode.ZERO, 7),
        (WETH, decode.ZERO, EXEC, 3),
    ]


def test_v2_and_v3_swaps_in_both_directions() -> None:
    v3 = A[5]
    logs = [
        # V2: token1 in, token0 out.
        _log(POOL, [abi.V2_SWAP, _t(EXEC), _t(v3)], ["uint256"] * 4, [0, 100, 95, 0], 0),
        # V3: amount0 < 0 (out of the pool), amount1 > 0 (into it).
        _log(
            v3,
            [abi.V3_SWAP, _t(EXEC), _t(EXEC)],
            ["int256", "int256", "uint160", "uint128", "int24"],
            [-40, 95, 2**96, 10**18, -5],
            1,
        ),
    ]
    tokens = {POOL: (WETH, USDC), v3: (WETH, USDC)}
    assert decode.swap_pools(logs) == [POOL, v3]
    s1, s2 = decode.swaps(logs, tokens, {POOL: "sushiswap"})
    assert (s1.kind, s1.token_in, s1.token_out, s1.amount_in, s1.amount_out, s1.recipient, s1.venue) == (
        "uniswap_v2",
        USDC,
        WETH,
        100,
        95,
        v3,
        "sushiswap",
    )
    assert (s2.kind, s2.token_in, s2.token_out, s2.amount_in, s2.amount_out, s2.venue) == (
        "uniswap_v3",
        USDC,
        WETH,
        95,
        40,
        "",
    )
    try:
        decode.swaps(logs, {POOL: (WETH, USDC)})
    except KeyError as exc:
        assert v3 in str(exc)
    else:
        raise AssertionError("a pool without tokens must be named")


def test_flash_loans_and_executed_event() -> None:
    aave = A[6]
    logs = [
        _log(VAULT, [abi.BALANCER_FLASH_LOAN, _t(EXEC), _t(WETH)], ["uint256", "uint256"], [10**18, 0], 0),
        _log(VAULT, [abi.BALANCER_FLASH_LOAN, _t(POOL), _t(WETH)], ["uint256", "uint256"], [1, 0], 1),  # not us
        _log(
            aave,
            [abi.AAVE_FLASH_LOAN, _t(EXEC), _t(USDC), "0x" + "00" * 32],
            ["address", "uint256", "uint8", "uint256"],
            [EXEC, 500, 0, 3],
            2,
        ),
        _log(EXEC, [abi.EXECUTED, _t(WETH)], ["uint256"] * 3, [10**18, 77, 11], 3),
        _log(POOL, [abi.EXECUTED, _t(WETH)], ["uint256"] * 3, [1, 1, 1], 4),  # another contract's event
    ]
    loans = decode.flash_loans(logs, EXEC)
    assert [(f.protocol, f.lender, f.token, f.amount, f.fee) for f in loans] == [
        ("balancer", VAULT, WETH, 10**18, 0),
        ("aave_v3", aave, USDC, 500, 3),
    ]
    ex = decode.executed(logs, EXEC)
    assert ex is not None and (ex.token, ex.amount_in, ex.profit, ex.builder_payment) == (WETH, 10**18, 77, 11)


def test_revert_reasons() -> None:
    def data(sig: str, types: list[str], values: list) -> bytes:
        return bytes.fromhex(abi.selector(sig)[2:]) + encode(types, values)

    un = data("Unprofitable(uint256,uint256)", ["uint256", "uint256"], [5, 9])
    assert abi.decode_revert(un) == "Unprofitable(5, 9)"
    assert abi.decode_revert("0x" + un.hex()) == "Unprofitable(5, 9)"
    assert abi.decode_revert(data("BadRoute(string)", ["string"], ["hop count"])) == 'BadRoute("hop count")'
    assert abi.decode_revert(data("NotCaller(address)", ["address"], [EXEC])) == f"NotCaller({EXEC})"
    assert abi.decode_revert(data("Reentrancy()", [], [])) == "Reentrancy()"
    assert abi.decode_revert(data("Error(string)", ["string"], ["nope"])) == 'Error("nope")'
    assert abi.decode_revert(data("Panic(uint256)", ["uint256"], [0x11])) == (
        "Panic(0x11: arithmetic overflow or underflow)"
    )
    assert abi.decode_revert(b"") == "reverted without data"
    assert abi.decode_revert(b"\xde\xad\xbe\xef\x01").startswith("unknown error 0xdeadbeef")
    assert "undecodable arguments" in abi.decode_revert(bytes.fromhex(abi.selector("NotOwner(address)")[2:]) + b"\x01")
    assert abi.decode_revert("0xzz").startswith("unreadable revert data")


def test_uniswap_flash_loans_are_loans_not_hops() -> None:
    pair, pool = A[5], A[6]
    logs = [
        # V2 flash swap: the pair pays out 1000 WETH (token0) and takes back 1004: a loan with a fee of 4.
        _log(pair, [abi.V2_SWAP, _t(EXEC), _t(EXEC)], ["uint256"] * 4, [1004, 0, 1000, 0], 0),
        # V3 flash of token1 (USDC): 500 lent, 502 paid back.
        _log(pool, [abi.V3_FLASH, _t(EXEC), _t(EXEC)], ["uint256"] * 4, [0, 500, 0, 2], 1),
        _log(pool, [abi.V3_FLASH, _t(EXEC), _t(POOL)], ["uint256"] * 4, [9, 0, 1, 0], 2),  # to someone else
    ]
    tokens = {pair: (WETH, USDC), pool: (WETH, USDC)}
    assert decode.swap_pools(logs) == [pair, pool]
    assert decode.swaps(logs, tokens) == []
    loans = decode.flash_loans(logs, EXEC, tokens)
    assert [(f.protocol, f.lender, f.token, f.amount, f.fee) for f in loans] == [
        ("uniswap_v2", pair, WETH, 1000, 4),
        ("uniswap_v3", pool, USDC, 500, 2),
    ]
    assert decode.flash_loans(logs, EXEC) == []  # without the pools' tokens nothing is guessed


def test_every_error_the_executor_declares_is_decoded() -> None:
    source = (Path(__file__).resolve().parents[3] / "contracts" / "src" / "ArbExecutor.sol").read_text()
    declared = set()
    for name, params in re.findall(r"^\s*error\s+(\w+)\(([^)]*)\);", source, flags=re.M):
        types = [p.split()[0] for p in params.split(",") if p.strip()]
        types = ["uint256" if t == "uint" else "int256" if t == "int" else t for t in types]
        declared.add(f"{name}({','.join(types)})")
    assert declared and declared <= set(abi.EXECUTOR_ERRORS), sorted(declared - set(abi.EXECUTOR_ERRORS))
    errors_abi = [
        {
            "type": "error",
            "name": "TokenMismatch",
            "inputs": [{"type": "uint256"}, {"type": "address"}, {"type": "address"}],
        },
        {"type": "event", "name": "Executed", "inputs": []},
    ]
    assert abi.errors_from_abi(errors_abi) == ("TokenMismatch(uint256,address,address)",)


def test_venue_names_keep_pool_contracts_and_v4_pool_ids() -> None:
    """A replica manifest names V4 pools by their 32-byte id: the auditor keeps them as ids, not taken for
    addresses (it used to fail to start on a manifest with V4 pools)."""
    pool_id = "0x" + "ab" * 32
    options = AuditOptions(venues={pool_id.upper().replace("0X", "0x"): "uniswap_v4", POOL.lower(): "v2"})
    assert Auditor(RpcClient("http://127.0.0.1:9"), options).venues == {pool_id: "uniswap_v4", POOL: "v2"}


def test_pancake_and_v4_swaps() -> None:
    """PancakeSwap V3 logs V3's layout plus protocol fees; V4 swaps come from the PoolManager, the pool named by
    its id and the amounts seen from the swapper (negative = paid in). A V4 id the caller cannot name is left out."""
    cake, manager = A[5], A[6]
    known_id, other_id = "0x" + "12" * 32, "0x" + "34" * 32
    v4_types = ["int128", "int128", "uint160", "uint128", "int24", "uint24"]
    cake_types = ["int256", "int256", "uint160", "uint128", "int24", "uint128", "uint128"]
    logs = [
        _log(cake, [abi.PANCAKE_V3_SWAP, _t(EXEC), _t(EXEC)], cake_types, [70, -33, 2**96, 10**18, 3, 1, 0], 0),
        _log(manager, [abi.V4_SWAP, known_id, _t(EXEC)], v4_types, [31, -33, 2**96, 10**18, 3, 500], 1),
        _log(manager, [abi.V4_SWAP, other_id, _t(EXEC)], v4_types, [-5, 4, 2**96, 10**18, 3, 500], 2),
    ]
    assert decode.swap_pools(logs) == [cake]
    assert decode.v4_swap_ids(logs) == [known_id, other_id]
    legs = decode.swaps(logs, {cake: (WETH, USDC)}, {known_id: "uniswap_v4"}, {known_id: (WETH, USDC)})
    assert [(s.pool, s.kind, s.token_in, s.token_out, s.amount_in, s.amount_out, s.venue) for s in legs] == [
        (cake, "pancakeswap_v3", WETH, USDC, 70, 33, ""),
        (known_id, "uniswap_v4", USDC, WETH, 33, 31, "uniswap_v4"),
    ]


_V3 = ["int256", "int256", "uint160", "uint128", "int24"]
_GOOD_EVENTS = {
    "v2 swap": ([abi.V2_SWAP, _t(EXEC), _t(EXEC)], ["uint256"] * 4, [0, 100, 95, 0]),
    "v3 swap": ([abi.V3_SWAP, _t(EXEC), _t(EXEC)], _V3, [70, -33, 2**96, 10**18, 3]),
    "pancake swap": (
        [abi.PANCAKE_V3_SWAP, _t(EXEC), _t(EXEC)],
        [*_V3, "uint128", "uint128"],
        [70, -33, 2**96, 1, 3, 1, 0],
    ),
    "v4 swap": (
        [abi.V4_SWAP, "0x" + "12" * 32, _t(EXEC)],
        ["int128", "int128", "uint160", "uint128", "int24", "uint24"],
        [31, -33, 2**96, 10**18, 3, 500],
    ),
    "v3 flash": ([abi.V3_FLASH, _t(EXEC), _t(EXEC)], ["uint256"] * 4, [10, 0, 1, 0]),
    "balancer swap": ([pool_events.BalancerSwap.TOPIC, "0x" + "56" * 32, _t(WETH), _t(USDC)], ["uint256"] * 2, [7, 9]),
    "balancer loan": ([abi.BALANCER_FLASH_LOAN, _t(EXEC), _t(WETH)], ["uint256", "uint256"], [10**18, 0]),
    "aave loan": (
        [abi.AAVE_FLASH_LOAN, _t(EXEC), _t(USDC), "0x" + "00" * 32],
        ["address", "uint256", "uint8", "uint256"],
        [EXEC, 500, 0, 3],
    ),
}


def _decoded(logs: list[Log]) -> tuple[list, list, list, list]:
    """What every pool/lender decoder makes of `logs` (the pool's and the V4 id's tokens supplied)."""
    pools = {POOL: (WETH, USDC)}
    v4 = {"0x" + "12" * 32: (WETH, USDC)}
    swaps = decode.swaps(logs, pools, v4_pools=v4, balancer_pools={"0x" + "56" * 32: POOL})
    loans = decode.flash_loans(logs, EXEC, pools)
    return decode.swap_pools(logs), decode.v4_swap_ids(logs), swaps, loans


def test_each_pool_and_lender_event_decodes_when_well_formed() -> None:
    # The control for the hostile cases below: every well-formed event is seen by some decoder.
    for name, (topics, types, values) in _GOOD_EVENTS.items():
        log = _log(POOL, topics, types, values)
        assert decode.well_formed(log), name
        assert any(_decoded([log])), name


def test_hostile_pool_and_lender_logs_are_left_out_not_misread() -> None:
    """A log with an event's first topic but another shape (any contract can emit one) is no event: decoders
    neither raise on it nor read amounts out of whatever bytes it carries."""
    for name, (topics, types, values) in _GOOD_EVENTS.items():
        good = _log(POOL, topics, types, values)
        hostile = [
            Log(POOL, good.topics, good.data[:-1], 0),  # one byte short
            Log(POOL, good.topics, good.data[:32], 0),  # one word
            Log(POOL, good.topics, good.data + bytes(32), 0),  # a word too long
            Log(POOL, good.topics, b"", 0),
            Log(POOL, good.topics[:-1], good.data, 0),  # an indexed field missing
            Log(POOL, (*good.topics, "0x" + "00" * 32), good.data, 0),  # one topic too many
            Log(POOL, good.topics[:1], good.data, 0),
        ]
        for log in hostile:
            assert not decode.well_formed(log), name
            assert _decoded([log]) == ([], [], [], []), name


def _word(value: int) -> bytes:
    return (value % 2**256).to_bytes(32, "big")


# (event, where the bad word goes: ("topic", i) or ("data", word index), the word) for every bounded field kind.
_OUT_OF_RANGE = [
    ("v2 swap", ("topic", 2), "0x" + "ff" * 12 + EXEC[2:].lower()),  # a recipient that is no address
    ("v3 swap", ("data", 2), _word(2**160)),  # sqrtPriceX96 beyond uint160
    ("v3 swap", ("data", 2), _word(4295128738)),  # below TickMath's lowest price
    ("v3 swap", ("data", 3), _word(2**128)),  # liquidity beyond uint128
    ("v3 swap", ("data", 4), _word(2**23)),  # tick beyond int24
    ("v3 swap", ("data", 4), _word(887273)),  # tick beyond TickMath's range
    ("pancake swap", ("data", 6), _word(2**128)),  # a protocol fee beyond uint128
    ("v4 swap", ("data", 0), _word(2**127)),  # amount0 beyond int128
    ("v4 swap", ("data", 1), _word(2**255)),  # amount1 not sign-extended from 128 bits
    ("v4 swap", ("data", 5), _word(2**24)),  # fee beyond uint24
    ("v3 flash", ("topic", 1), "0x" + "01" * 32),
    ("balancer loan", ("topic", 2), "0x" + "01" * 32),  # a token that is no address
    ("balancer swap", ("topic", 3), "0x" + "01" * 32),  # a token out that is no address
    ("aave loan", ("data", 2), _word(256)),  # interestRateMode beyond uint8
    ("aave loan", ("data", 0), _word(2**160)),  # an initiator that is no address
    ("aave loan", ("topic", 3), "0x" + _word(2**16).hex()),  # referralCode beyond uint16
]


@pytest.mark.parametrize(("name", "where", "bad"), _OUT_OF_RANGE, ids=[f"{n}:{w}" for n, w, _ in _OUT_OF_RANGE])
def test_words_out_of_their_type_are_left_out_not_misread(name: str, where: tuple[str, int], bad: object) -> None:
    topics, types, values = _GOOD_EVENTS[name]
    good = _log(POOL, topics, types, values)
    assert _decoded([good]) != ([], [], [], [])  # the control: the same log, well formed, is read
    kind, i = where
    if kind == "topic":
        log = Log(POOL, tuple(bad if j == i else t for j, t in enumerate(good.topics)), good.data, 0)
    else:
        assert isinstance(bad, bytes)
        log = Log(POOL, good.topics, good.data[: 32 * i] + bad + good.data[32 * i + 32 :], 0)
    assert not decode.well_formed(log), name
    assert _decoded([log]) == ([], [], [], []), name


def test_balancer_vault_swaps_only_for_the_route_s_pools_and_vault() -> None:
    """The Vault's `Swap` names the pool by id and no trader: a leg is taken only for a pool id the route trades
    through and only from the Vault its hop calls (any contract can emit the topic)."""
    vault, impostor = A[5], A[6]
    ours, other = "0x" + "56" * 32, "0x" + "78" * 32
    topic = pool_events.BalancerSwap.TOPIC
    logs = [
        _log(vault, [topic, ours, _t(WETH), _t(USDC)], ["uint256"] * 2, [10**18, 3_000 * 10**6], 0),
        _log(impostor, [topic, ours, _t(USDC), _t(WETH)], ["uint256"] * 2, [1, 10**18], 1),  # not the hop's Vault
        _log(vault, [topic, other, _t(USDC), _t(WETH)], ["uint256"] * 2, [5, 6], 2),  # not the route's pool
    ]
    assert decode.balancer_swap_ids(logs) == [ours, other]
    assert decode.swap_pools(logs) == [] and decode.v4_swap_ids(logs) == []
    legs = decode.swaps(logs, {}, {ours: "balancer"}, balancer_pools={ours.upper().replace("0X", "0x"): vault})
    seen = [(s.pool, s.kind, s.token_in, s.token_out, s.amount_in, s.amount_out, s.recipient, s.venue) for s in legs]
    assert seen == [(ours, "balancer_v2", WETH, USDC, 10**18, 3_000 * 10**6, decode.ZERO, "balancer")]
    assert decode.swaps(logs, {}) == []  # no Balancer pool named: none taken
