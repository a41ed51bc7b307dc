"""The Balancer weighted-pool model equals the deployed WeightedPool (v3 factory) and Vault to the wei.

The pools are tests/data/exactness.toml's `balancer_weighted_pools`, made by the real factory: weights
from 1% to 98%, 2 to 4 tokens of 6, 8 and 18 decimals, tiny (1,000 raw units) and huge (1e33) balances
and a pool 30% off the market price. Each case runs in a fork simulation of the replica: it may first
set the pool's swap fee through its owner (0.0001% to 10%) and push the pool off balance with a swap,
then reads the pool's state from the chain, builds the model from it, and executes `Vault.swap`
(exact input or exact output) and `Vault.queryBatchSwap` for the drawn amount. What the Vault
actually moved (the trader's token balance deltas), the query's deltas and the pool's balances
afterwards must equal the model's; where the Vault reverts the model must refuse, with the same `BAL#`
code. Amounts run from 1 wei to 2^120 (and 2^255, where the pool's own arithmetic overflows), with many
drawn within a few units of the 30% ratio limits. A second property carries one model through runs of up
to 40 swaps by its own bookkeeping only, walking pools far off balance, and checks every swap and the final
balances against the Vault.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from web3 import Web3

from arbbot.amm.balancer_weighted import MAX_BALANCE, BalancerWeightedPool
from arbbot.amm.errors import AmmError, ContractRevert
from arbbot.devnet.manifest import BalancerPoolEntry
from arbbot.sim.fork import ForkSimulator, SimResult
from tests.integration.amm.conftest import ExactReplica

EXAMPLES = 2000
GIVEN_IN, GIVEN_OUT = 0, 1
ONE = 10**18
DEADLINE = 2**63
UINT256_MAX = 2**256 - 1
_BAL = re.compile(r"BAL#(\d{3})")
# Pools of tests/data/exactness.toml, in order.
POOL_8020, POOL_3TOKEN, POOL_TINY, POOL_HUGE, POOL_OFF = range(5)


def _fn(signature: str) -> tuple[bytes, list[str]]:
    """Selector and argument types of a function signature (ABI-encoded with eth_abi: web3's encoder would
    dominate the run time)."""
    args = signature[signature.index("(") + 1 : -1]
    return keccak(text=signature)[:4], _split(args)


def _split(args: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in args:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    return [*out, cur] if cur else out


SWAP = _fn("swap((bytes32,uint8,address,address,uint256,bytes),(address,bool,address,bool),uint256,uint256)")
QUERY = _fn("queryBatchSwap(uint8,(bytes32,uint256,uint256,uint256,bytes)[],address[],(address,bool,address,bool))")
GET_POOL_TOKENS = _fn("getPoolTokens(bytes32)")
WEIGHTS = _fn("getNormalizedWeights()")
SCALING = _fn("getScalingFactors()")
SWAP_FEE = _fn("getSwapFeePercentage()")
SET_SWAP_FEE = _fn("setSwapFeePercentage(uint256)")
PAUSED = _fn("getPausedState()")
PAUSE = _fn("pause()")
ACTION_ID = _fn("getActionId(bytes4)")
GRANT_ROLE = _fn("grantRole(bytes32,address)")
MINT = _fn("mint(address,uint256)")
DEPOSIT = _fn("deposit()")
APPROVE = _fn("approve(address,uint256)")


def _data(fn: tuple[bytes, list[str]], *args: Any) -> bytes:
    return fn[0] + encode(fn[1], list(args))


@dataclass
class Bench:
    """A fork of the exactness replica in which the deployer (owner of every pool, minter of every
    replica token) holds 2^250 of each token, all approved to the Vault."""

    sim: ForkSimulator
    vault: str
    authorizer: str
    entries: list[BalancerPoolEntry]
    trader: str
    fixed: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]  # pool -> weights, scaling factors (immutable)


@pytest.fixture(scope="module")
def bench(exact_replica: ExactReplica) -> Iterator[Bench]:
    m = exact_replica.manifest
    entries = [p for p in m.balancer_pools if p.kind == "balancer_weighted"]
    assert len(entries) == 5, "tests/data/exactness.toml lists five weighted pools"
    vault = m.contracts["BalancerVault"]
    sim = ForkSimulator(exact_replica.node.url)
    trader = m.deployer
    sim.set_eth_balance(trader, 2**255)
    for t in m.tokens:
        if t.symbol == "WETH":
            assert sim.call(trader, t.address, _data(DEPOSIT), value=2**250).success
        else:
            assert sim.call(trader, t.address, _data(MINT, trader, 2**250)).success
        assert sim.call(trader, t.address, _data(APPROVE, vault, UINT256_MAX)).success
    b = Bench(sim, vault, m.contracts["BalancerAuthorizer"], entries, trader, {})
    for e in entries:
        b.fixed[e.address] = (
            tuple(_read(b, e.address, WEIGHTS, "uint256[]")),
            tuple(_read(b, e.address, SCALING, "uint256[]")),
        )
    try:
        yield b
    finally:
        sim.close()


def _read(b: Bench, to: str, fn: tuple[bytes, list[str]], out: str, *args: Any) -> Any:
    """A view's return values: one type, or several written as "(a,b,c)" (returned as a tuple)."""
    data = b.sim.static(to, _data(fn, *args))
    if out.startswith("("):
        return decode(_split(out[1:-1]), data)
    return decode([out], data)[0]


def _model(b: Bench, entry: BalancerPoolEntry) -> BalancerWeightedPool:
    """The model built from what the chain holds now (the Vault's balances and the pool's parameters)."""
    tokens, balances, _ = _read(b, b.vault, GET_POOL_TOKENS, "(address[],uint256[],uint256)", _pool_id(entry))
    at = entry.address
    weights, scaling = b.fixed[at]
    return BalancerWeightedPool(
        address=at,
        pool_id=entry.pool_id,
        vault=b.vault,
        tokens=tuple(Web3.to_checksum_address(t) for t in tokens),
        balances=list(balances),
        weights=weights,
        scaling_factors=scaling,
        swap_fee=_read(b, at, SWAP_FEE, "uint256"),
        paused=_read(b, at, PAUSED, "(bool,uint256,uint256)")[0],
    )


def _pool_id(entry: BalancerPoolEntry) -> bytes:
    return bytes.fromhex(entry.pool_id[2:])


def _balance(b: Bench, token: str) -> int:
    return b.sim.token_balance(token, b.trader)


def _swap(b: Bench, entry: BalancerPoolEntry, kind: int, token_in: str, token_out: str, amount: int) -> SimResult:
    single = (_pool_id(entry), kind, token_in, token_out, amount, b"")
    funds = (b.trader, False, b.trader, False)
    limit = 0 if kind == GIVEN_IN else UINT256_MAX
    return b.sim.call(b.trader, b.vault, _data(SWAP, single, funds, limit, DEADLINE))


def _query(b: Bench, entry: BalancerPoolEntry, kind: int, token_in: str, token_out: str, amount: int) -> SimResult:
    step = (_pool_id(entry), 0, 1, amount, b"")
    funds = (b.trader, False, b.trader, False)
    return b.sim.simulate(b.trader, b.vault, _data(QUERY, kind, [step], [token_in, token_out], funds))


def _code(result: SimResult) -> str:
    found = _BAL.search(result.revert_reason)
    return found.group(1) if found else result.revert_reason


def _model_code(exc: AmmError) -> str | None:
    found = _BAL.search(str(exc))
    return found.group(1) if isinstance(exc, ContractRevert) and found else None


def _near_max(model: BalancerWeightedPool, i: int, j: int, exact_in: bool, offset: int) -> int:
    """An amount `offset` units from the 30% limit: the pool's ratio bound in raw units, grossed up by the fee on
    the input side (close to, not necessarily at, the exact boundary: the offsets straddle it)."""
    if exact_in:
        limit = model.balances[i] * 3 // 10
        return max(1, limit * ONE // (ONE - model.swap_fee) + offset)
    return max(1, model.balances[j] * 3 // 10 + offset)


def check_swap(b: Bench, entry: BalancerPoolEntry, i: int, j: int, exact_in: bool, amount: int) -> str:
    """Execute one swap on the fork and compare with the model built from the same state; returns what happened
    ("swapped" or the refusal code). The fork state is left changed (callers hold a checkpoint)."""
    model = _model(b, entry)
    token_in, token_out = model.tokens[i], model.tokens[j]
    kind = GIVEN_IN if exact_in else GIVEN_OUT
    query = _query(b, entry, kind, token_in, token_out, amount)
    before_in, before_out = _balance(b, token_in), _balance(b, token_out)
    swap = _swap(b, entry, kind, token_in, token_out, amount)
    try:
        quoted = (model.quote_exact_in if exact_in else model.quote_exact_out)(token_in, token_out, amount)
    except AmmError as exc:
        assert not swap.success, f"model refused ({exc}) but Vault.swap delivered"
        assert not query.success, f"model refused ({exc}) but queryBatchSwap answered"
        code = _model_code(exc)
        assert code is not None, f"the Vault reverted {swap.revert_reason} where the model raised {exc!r}"
        assert _code(swap) == code and _code(query) == code, (swap.revert_reason, query.revert_reason, str(exc))
        return code
    assert swap.success, f"Vault.swap reverted ({swap.revert_reason}) where the model quoted {quoted}"
    assert query.success, f"queryBatchSwap reverted ({query.revert_reason}) where the model quoted {quoted}"
    paid = before_in - _balance(b, token_in)
    got = _balance(b, token_out) - before_out
    deltas = list(decode(["int256[]"], query.output)[0])
    if exact_in:
        assert (paid, got) == (amount, quoted)
        assert deltas == [amount, -quoted]
        model.apply_swap(token_in, token_out, amount)
    else:
        assert (paid, got) == (quoted, amount)
        assert deltas == [quoted, -amount]
        model.apply_swap_exact_out(token_in, token_out, amount)
    held = _read(b, b.vault, GET_POOL_TOKENS, "(address[],uint256[],uint256)", _pool_id(entry))[1]
    assert list(held) == model.balances
    return "swapped"


def _amounts() -> st.SearchStrategy[tuple[str, int]]:
    log_uniform = st.integers(min_value=0, max_value=120).flatmap(
        lambda e: st.integers(min_value=max(1, 1 << e), max_value=(1 << (e + 1)) - 1)
    )
    return st.one_of(
        st.tuples(st.just("abs"), st.integers(min_value=1, max_value=1000)),
        st.tuples(st.just("abs"), log_uniform),
        st.tuples(st.just("max"), st.integers(min_value=-4, max_value=4)),
    )


FEES = st.one_of(
    st.none(),  # the pool's own fee
    st.sampled_from([10**12, 10**17]),  # the bounds: 0.0001% and 10%
    st.integers(min_value=10**12, max_value=10**17),
)
PRE_SWAPS = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(min_value=1, max_value=2500)),  # bps of the balance
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool=st.integers(min_value=0, max_value=4),
    i=st.integers(0, 3),
    j=st.integers(0, 3),
    exact_in=st.booleans(),
    fee=FEES,
    pre=PRE_SWAPS,
    amount=_amounts(),
)
@example(pool=POOL_8020, i=0, j=1, exact_in=True, fee=None, pre=None, amount=("abs", 1))  # 1 wei in
@example(pool=POOL_8020, i=1, j=0, exact_in=False, fee=None, pre=None, amount=("abs", 1))  # 1 wei out
@example(pool=POOL_3TOKEN, i=0, j=1, exact_in=True, fee=None, pre=None, amount=("max", 0))  # at the in limit
@example(pool=POOL_3TOKEN, i=0, j=1, exact_in=True, fee=None, pre=None, amount=("max", 2))  # just above it
@example(pool=POOL_3TOKEN, i=2, j=1, exact_in=False, fee=None, pre=None, amount=("max", 0))  # at the out limit
@example(pool=POOL_3TOKEN, i=2, j=1, exact_in=False, fee=None, pre=None, amount=("max", 1))  # one unit above
@example(pool=POOL_TINY, i=0, j=1, exact_in=True, fee=10**12, pre=None, amount=("abs", 1))  # 1 raw unit, tiny pool
@example(pool=POOL_TINY, i=1, j=0, exact_in=False, fee=None, pre=None, amount=("abs", 1))
@example(pool=POOL_HUGE, i=0, j=1, exact_in=True, fee=10**17, pre=None, amount=("max", -1))  # 1e33 balances
@example(pool=POOL_HUGE, i=1, j=0, exact_in=False, fee=None, pre=(1, 0, 2500), amount=("max", 0))
@example(pool=POOL_OFF, i=0, j=3, exact_in=True, fee=None, pre=None, amount=("abs", 10**5))  # 1% weight in
@example(pool=POOL_OFF, i=3, j=0, exact_in=False, fee=None, pre=None, amount=("max", -1))  # 1% weight out
@example(pool=POOL_8020, i=0, j=1, exact_in=True, fee=None, pre=None, amount=("abs", 2**120))  # far beyond
@example(pool=POOL_8020, i=0, j=1, exact_in=True, fee=None, pre=None, amount=("abs", 2**255))  # fee overflows
@example(pool=POOL_3TOKEN, i=1, j=0, exact_in=False, fee=None, pre=None, amount=("abs", 2**255))  # upscale overflows
def test_weighted_swaps_equal_the_vault(
    bench: Bench,
    pool: int,
    i: int,
    j: int,
    exact_in: bool,
    fee: int | None,
    pre: tuple[int, int, int] | None,
    amount: tuple[str, int],
) -> None:
    entry = bench.entries[pool]
    n = len(entry.tokens)
    i, j = i % n, j % n
    if i == j:
        j = (i + 1) % n
    cp = bench.sim.checkpoint()
    try:
        if fee is not None:
            assert bench.sim.call(bench.trader, entry.address, _data(SET_SWAP_FEE, fee)).success
        if pre is not None:
            k_in, k_out = pre[0] % n, pre[1] % n
            if k_in == k_out:
                k_out = (k_in + 1) % n
            state = _model(bench, entry)
            pushed = max(1, state.balances[k_in] * pre[2] // 10_000)
            check_swap(bench, entry, k_in, k_out, True, pushed)  # itself checked against the model
        state = _model(bench, entry)
        value = _near_max(state, i, j, exact_in, amount[1]) if amount[0] == "max" else amount[1]
        outcome = check_swap(bench, entry, i, j, exact_in, value)
        event(f"{'exact in' if exact_in else 'exact out'}: {outcome}")
    finally:
        bench.sim.revert(cp)


def test_the_ratio_limits_are_where_the_pools_put_them(bench: Bench) -> None:
    # Walk up to each pool's 30% limits one unit at a time: the last accepted and first refused amounts agree.
    for entry in bench.entries:
        model = _model(bench, entry)
        for exact_in, code in ((True, "304"), (False, "305")):
            start = _near_max(model, 0, 1, exact_in, -3)
            outcomes = []
            for amount in range(start, start + 8):
                cp = bench.sim.checkpoint()
                try:
                    outcomes.append(check_swap(bench, entry, 0, 1, exact_in, amount))
                finally:
                    bench.sim.revert(cp)
            assert outcomes[0] == "swapped" and outcomes[-1] == code, (entry.tokens, exact_in, outcomes)
            first_refusal = outcomes.index(code)
            assert set(outcomes[first_refusal:]) == {code}


def test_a_paused_pool_refuses_like_the_vault(bench: Bench) -> None:
    entry = bench.entries[POOL_8020]
    cp = bench.sim.checkpoint()
    try:
        role = _read(bench, entry.address, ACTION_ID, "bytes32", PAUSE[0])
        assert not bench.sim.call(bench.trader, entry.address, _data(PAUSE)).success  # not yet allowed
        assert bench.sim.call(bench.trader, bench.authorizer, _data(GRANT_ROLE, role, bench.trader)).success
        assert bench.sim.call(bench.trader, entry.address, _data(PAUSE)).success
        model = _model(bench, entry)
        assert model.paused
        assert check_swap(bench, entry, 0, 1, True, 10**18) == "402"
        assert check_swap(bench, entry, 1, 0, False, 10**6) == "402"
    finally:
        bench.sim.revert(cp)


def test_vault_refusals_are_the_models(bench: Bench) -> None:
    entry = bench.entries[POOL_3TOKEN]
    cp = bench.sim.checkpoint()
    try:
        assert check_swap(bench, entry, 0, 1, True, 0) not in ("swapped",)
        assert check_swap(bench, entry, 1, 2, False, 0) not in ("swapped",)
    finally:
        bench.sim.revert(cp)
    model = _model(bench, entry)
    with pytest.raises(ContractRevert, match="BAL#509"):
        model.quote_exact_in(model.tokens[0], model.tokens[0], 10**6)
    huge = bench.entries[POOL_HUGE]
    assert max(_model(bench, huge).balances) * 13 // 10 < MAX_BALANCE  # the 30% cap keeps it under 112 bits


STEPS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans(), st.integers(min_value=1, max_value=3200)),
    min_size=10,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool=st.integers(min_value=0, max_value=4), steps=STEPS)
def test_one_model_follows_a_run_of_swaps(bench: Bench, pool: int, steps: list[tuple[int, int, bool, int]]) -> None:
    # One model read once, then only its own bookkeeping (apply_swap / apply_swap_exact_out) across a run of
    # swaps that walks the pool far off balance: every swap the Vault makes must still be the model's.
    entry = bench.entries[pool]
    n = len(entry.tokens)
    cp = bench.sim.checkpoint()
    try:
        model = _model(bench, entry)
        swapped = 0
        for i, j, exact_in, bps in steps:
            i, j = i % n, j % n
            if i == j:
                j = (i + 1) % n
            side = model.balances[i] if exact_in else model.balances[j]
            amount = max(1, side * bps // 10_000)  # up to 32% of the balance: some past the limits
            token_in, token_out = model.tokens[i], model.tokens[j]
            kind = GIVEN_IN if exact_in else GIVEN_OUT
            before_in, before_out = _balance(bench, token_in), _balance(bench, token_out)
            swap = _swap(bench, entry, kind, token_in, token_out, amount)
            try:
                if exact_in:
                    expected = (amount, model.apply_swap(token_in, token_out, amount))
                else:
                    expected = (model.apply_swap_exact_out(token_in, token_out, amount), amount)
            except ContractRevert as exc:
                assert not swap.success and _code(swap) == _model_code(exc), (swap.revert_reason, str(exc))
                continue
            assert swap.success, swap.revert_reason
            assert (before_in - _balance(bench, token_in), _balance(bench, token_out) - before_out) == expected
            swapped += 1
        held = _read(bench, bench.vault, GET_POOL_TOKENS, "(address[],uint256[],uint256)", _pool_id(entry))[1]
        assert list(held) == model.balances
        event(f"swaps executed per run: {'none' if swapped == 0 else 'some' if swapped < 10 else '10+'}")
    finally:
        bench.sim.revert(cp)
