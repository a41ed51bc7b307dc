"""The Balancer composable stable pool model equals the deployed ComposableStablePool (v3 factory) and Vault to the wei.

The pools are tests/data/exactness.toml's `balancer_stable_pools`, made by the real factory: 2 to 5 tokens of 6,
8 and 18 decimals, amplification 1 to 5000, tiny (1,000 raw units) and huge (6e32) balances, a very imbalanced
five-token pool, and tokens priced by replica rate providers whose caches last 0 s, 1 hour and 1 day. Each case runs
in a fork simulation of the replica: it may first set the pool's swap fee through its owner (0.0001% to 10%), push
the pool off balance with a swap, start an amplification ramp (the owner's `startAmplificationParameterUpdate`),
move a rate provider's rate and advance the block time (so a ramp is part way and a rate cache has expired, or
not); then it reads the pool's state from the chain, builds the model from it, and executes `Vault.swap` (exact
input or exact output) and `Vault.queryBatchSwap` for the drawn amount. What the Vault actually moved (the
trader's balance deltas), the query's deltas, the pool's balances and rate caches afterwards must equal the
model's; where the Vault reverts the model must refuse, with the same `BAL#` code. Amounts run from 1 wei to 2^120
(and 2^255), with many drawn within a few units of the pool's whole balance of the token out. A mutation check
shows that plausible slips in the model (a rounding direction, the `- 1`, the rate refresh, the ramp) are caught
by the same comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyrevm
import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from web3 import Web3

from arbbot.amm import balancer_stable
from arbbot.amm.balancer_stable import (
    AMP_PRECISION,
    ZERO_ADDRESS,
    BalancerComposableStablePool,
    RateCache,
    UnsupportedSwap,
)
from arbbot.amm.errors import AmmError, ContractRevert
from arbbot.devnet.manifest import BalancerPoolEntry
from arbbot.sim.fork import ForkSimulator, SimResult
from tests.integration.amm.conftest import ExactReplica

EXAMPLES = 2000
GIVEN_IN, GIVEN_OUT = 0, 1
ONE = 10**18
DAY = 86_400
DEADLINE = 2**63
UINT256_MAX = 2**256 - 1
_BAL = re.compile(r"BAL#(\d{3})")
# Pools of tests/data/exactness.toml's balancer_stable_pools, in order.
POOL_3USD, POOL_RATE, POOL_FIVE, POOL_TINY, POOL_HUGE = range(5)


def _fn(signature: str) -> tuple[bytes, list[str]]:
    """Selector and argument types of a function signature (ABI-encoded with eth_abi, which is fast)."""
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
BPT_INDEX = _fn("getBptIndex()")
RATE_PROVIDERS = _fn("getRateProviders()")
RATE_CACHE = _fn("getTokenRateCache(address)")
GET_RATE = _fn("getRate()")
SET_RATE = _fn("setRate(uint256)")
AMP = _fn("getAmplificationParameter()")
START_AMP = _fn("startAmplificationParameterUpdate(uint256,uint256)")
SWAP_FEE = _fn("getSwapFeePercentage()")
SET_SWAP_FEE = _fn("setSwapFeePercentage(uint256)")
PAUSED = _fn("getPausedState()")
PAUSE = _fn("pause()")
ACTION_ID = _fn("getActionId(bytes4)")
GRANT_ROLE = _fn("grantRole(bytes32,address)")
DECIMALS = _fn("decimals()")
TOTAL_SUPPLY = _fn("totalSupply()")
LAST_JOIN_EXIT = _fn("getLastJoinExitData()")
FEE_CACHE = _fn("getProtocolFeePercentageCache(uint256)")
UPDATE_FEE_CACHE = _fn("updateProtocolFeePercentageCache()")
EXEMPT = _fn("isTokenExemptFromYieldProtocolFee(address)")
FEES_COLLECTOR = _fn("getProtocolFeesCollector()")
SET_COLLECTOR_SWAP_FEE = _fn("setSwapFeePercentage(uint256)")
SET_FEE_TYPE = _fn("setFeeTypePercentage(uint256,uint256)")
FEE_SWAP, FEE_YIELD = 0, 2
MINT = _fn("mint(address,uint256)")
DEPOSIT = _fn("deposit()")
APPROVE = _fn("approve(address,uint256)")
AMP_UPDATE_STARTED = keccak(text="AmpUpdateStarted(uint256,uint256,uint256,uint256)")


def _data(fn: tuple[bytes, list[str]], *args: Any) -> bytes:
    return fn[0] + encode(fn[1], list(args))


@dataclass
class Fixed:
    """What never changes for a pool: its registered tokens, BPT index, decimals factors and rate providers."""

    tokens: tuple[str, ...]
    bpt_index: int
    decimal_factors: tuple[int, ...]
    providers: tuple[str, ...]


@dataclass
class Bench:
    """A fork of the exactness replica in which the deployer (owner of every pool and rate provider, minter of
    every replica token) holds 2^250 of each token, all approved to the Vault."""

    sim: ForkSimulator
    vault: str
    authorizer: str
    entries: list[BalancerPoolEntry]
    trader: str
    start_time: int
    provider: str = ""  # the ProtocolFeePercentagesProvider
    fixed: dict[str, Fixed] = field(default_factory=dict)
    ramps: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # pool -> the AmpUpdateStarted values


@pytest.fixture(scope="module")
def bench(exact_replica: ExactReplica) -> Iterator[Bench]:
    m = exact_replica.manifest
    entries = [p for p in m.balancer_pools if p.kind == "balancer_composable_stable"]
    assert len(entries) == 5, "tests/data/exactness.toml lists five composable stable pools"
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
    b = Bench(sim, vault, m.contracts["BalancerAuthorizer"], entries, trader, int(sim.evm.env.block.timestamp))
    b.provider = m.contracts["BalancerProtocolFeePercentagesProvider"]
    for e in entries:
        tokens = tuple(Web3.to_checksum_address(t) for t in _pool_tokens(b, e)[0])
        bpt = _read(b, e.address, BPT_INDEX, "uint256")
        factors = tuple(ONE * 10 ** (18 - _read(b, t, DECIMALS, "uint8")) for t in tokens)
        providers = tuple(Web3.to_checksum_address(p) for p in _read(b, e.address, RATE_PROVIDERS, "address[]"))
        b.fixed[e.address] = Fixed(tokens, bpt, factors, providers)
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


def _pool_id(entry: BalancerPoolEntry) -> bytes:
    return bytes.fromhex(entry.pool_id[2:])


def _pool_tokens(b: Bench, entry: BalancerPoolEntry) -> tuple[Any, Any, int]:
    result: tuple[Any, Any, int] = _read(b, b.vault, GET_POOL_TOKENS, "(address[],uint256[],uint256)", _pool_id(entry))
    return result


def _now(b: Bench) -> int:
    return int(b.sim.evm.env.block.timestamp)


def _set_time(b: Bench, timestamp: int) -> None:
    """Move the fork's next block to `timestamp` (the block number and everything else stay)."""
    blk = b.sim.evm.env.block
    b.sim.evm.set_block_env(
        pyrevm.BlockEnv(
            number=blk.number,
            coinbase=blk.coinbase,
            timestamp=timestamp,
            basefee=blk.basefee,
            gas_limit=blk.gas_limit,
            prevrandao=bytes(32),
        )
    )


def _caches(b: Bench, entry: BalancerPoolEntry) -> list[RateCache | None]:
    """The pool's rate caches as stored (not refreshed), with each provider's current answer."""
    fixed = b.fixed[entry.address]
    out: list[RateCache | None] = []
    for token, provider in zip(fixed.tokens, fixed.providers, strict=True):
        if provider == ZERO_ADDRESS:
            out.append(None)
            continue
        rate, old, duration, expires = _read(b, entry.address, RATE_CACHE, "(uint256,uint256,uint256,uint256)", token)
        out.append(RateCache(rate, duration, expires, _read(b, provider, GET_RATE, "uint256"), old))
    return out


def _model(b: Bench, entry: BalancerPoolEntry) -> BalancerComposableStablePool:
    """The model built from what the chain holds now (the Vault's balances and the pool's parameters)."""
    fixed = b.fixed[entry.address]
    tokens, balances, _ = _pool_tokens(b, entry)
    assert tuple(Web3.to_checksum_address(t) for t in tokens) == fixed.tokens
    value, updating, precision = _read(b, entry.address, AMP, "(uint256,bool,uint256)")
    assert precision == AMP_PRECISION
    ramp = b.ramps.get(entry.address) if updating else None
    if updating:
        assert ramp is not None, "an amplification ramp this suite did not start"
    amp = ramp or (value, value, 0, 0)
    return BalancerComposableStablePool(
        address=entry.address,
        pool_id=entry.pool_id,
        vault=b.vault,
        tokens=fixed.tokens,
        balances=list(balances),
        bpt_index=fixed.bpt_index,
        decimal_factors=fixed.decimal_factors,
        rate_providers=fixed.providers,
        rate_caches=_caches(b, entry),
        amp_start=amp[0],
        amp_end=amp[1],
        amp_start_time=amp[2],
        amp_end_time=amp[3],
        swap_fee=_read(b, entry.address, SWAP_FEE, "uint256"),
        timestamp=_now(b),
        paused=_read(b, entry.address, PAUSED, "(bool,uint256,uint256)")[0],
        **_join_exit_state(b, entry),
    )


def _join_exit_state(b: Bench, entry: BalancerPoolEntry) -> dict[str, Any]:
    """What a swap to or from the BPT also reads: supply, last join/exit data, protocol fee shares, exemptions."""
    fixed = b.fixed[entry.address]
    last_amp, last_invariant = _read(b, entry.address, LAST_JOIN_EXIT, "(uint256,uint256)")
    return {
        "total_supply": _read(b, entry.address, TOTAL_SUPPLY, "uint256"),
        "last_join_exit_amp": last_amp,
        "last_join_exit_invariant": last_invariant,
        "protocol_swap_fee": _read(b, entry.address, FEE_CACHE, "uint256", FEE_SWAP),
        "protocol_yield_fee": _read(b, entry.address, FEE_CACHE, "uint256", FEE_YIELD),
        "yield_exempt": tuple(
            False if k == fixed.bpt_index else _read(b, entry.address, EXEMPT, "bool", t)
            for k, t in enumerate(fixed.tokens)
        ),
    }


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


def _main(model: BalancerComposableStablePool, k: int) -> int:
    """The `k`-th registered token that is not the BPT (k taken modulo their number)."""
    main = [x for x in range(len(model.tokens)) if x != model.bpt_index]
    return main[k % len(main)]


def check_swap(b: Bench, entry: BalancerPoolEntry, i: int, j: int, exact_in: bool, amount: int) -> str:
    """Execute one swap on the fork and compare with the model built from the same state; returns what happened
    ("swapped" or the refusal code). `i`, `j` index the registered tokens. The fork state is left changed."""
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
    assert query.success, f"queryBatchSwap reverted ({query.revert_reason}) where the model quoted {quoted}"
    deltas = list(decode(["int256[]"], query.output)[0])
    assert deltas == ([amount, -quoted] if exact_in else [quoted, -amount])
    if not swap.success and _code(swap) == "416" and i == model.bpt_index:
        # An exit needing more BPT than the trader holds (the rest belongs to the protocol's fee collector): the
        # BPT transfer fails, not the pool; the query above already equals the model.
        assert (amount if exact_in else quoted) > before_in, swap.revert_reason
        return "trader short of BPT"
    assert swap.success, f"Vault.swap reverted ({swap.revert_reason}) where the model quoted {quoted}"
    paid = before_in - _balance(b, token_in)
    got = _balance(b, token_out) - before_out
    if exact_in:
        assert (paid, got) == (amount, quoted)
        model.apply_swap(token_in, token_out, amount)
    else:
        assert (paid, got) == (quoted, amount)
        model.apply_swap_exact_out(token_in, token_out, amount)
    assert list(_pool_tokens(b, entry)[1]) == model.balances
    chain = _caches(b, entry)
    assert [None if c is None else (c.rate, c.duration, c.expires, c.old_rate) for c in chain] == [
        None if c is None else (c.rate, c.duration, c.expires, c.old_rate) for c in model.rate_caches
    ], "the rate caches after the swap"
    after = _join_exit_state(b, entry)
    assert (after["total_supply"], after["last_join_exit_amp"], after["last_join_exit_invariant"]) == (
        model.total_supply,
        model.last_join_exit_amp,
        model.last_join_exit_invariant,
    ), "the BPT supply (protocol fees minted) and the join/exit data after the swap"
    return "swapped"


def _start_ramp(b: Bench, entry: BalancerPoolEntry, factor_pct: int, days: int) -> None:
    """The owner starts an amplification ramp to `factor_pct`% of the current value over `days` (within the pool's
    limit of a factor 2 per day); the `AmpUpdateStarted` log gives the model its four values."""
    value = _read(b, entry.address, AMP, "(uint256,bool,uint256)")[0]
    raw = value // AMP_PRECISION
    end = raw * factor_pct // 100 if factor_pct >= 100 else -(-raw * factor_pct // 100)
    end = min(5000, max(1, end))
    result = b.sim.call(b.trader, entry.address, _data(START_AMP, end, _now(b) + days * DAY))
    assert result.success, result.revert_reason
    (log,) = [lg for lg in result.logs if lg.topics and bytes(lg.topics[0]) == AMP_UPDATE_STARTED]
    b.ramps[entry.address] = decode(["uint256"] * 4, log.data)


def _amounts() -> st.SearchStrategy[tuple[str, int]]:
    log_uniform = st.integers(min_value=0, max_value=120).flatmap(
        lambda e: st.integers(min_value=max(1, 1 << e), max_value=(1 << (e + 1)) - 1)
    )
    return st.one_of(
        st.tuples(st.just("abs"), st.integers(min_value=1, max_value=1000)),
        st.tuples(st.just("abs"), log_uniform),
        st.tuples(st.just("bps"), st.integers(min_value=1, max_value=15_000)),  # of the balance on the given side
        st.tuples(st.just("all"), st.integers(min_value=-4, max_value=4)),  # units around the whole balance out
    )


FEES = st.one_of(
    st.none(),  # the pool's own fee
    st.sampled_from([10**12, 10**17]),  # the bounds: 0.0001% and 10%
    st.integers(min_value=10**12, max_value=10**17),
)
PROTOCOL_FEES = st.one_of(
    st.none(),  # as deployed
    st.tuples(st.sampled_from([0, 10**17, 5 * 10**17]), st.sampled_from([0, 10**17, 5 * 10**17])),
)
PRE_SWAPS = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(min_value=1, max_value=9000)),  # bps of the balance
)
RAMPS = st.one_of(st.none(), st.tuples(st.integers(min_value=50, max_value=200), st.integers(min_value=1, max_value=3)))
RATES = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 4), st.sampled_from([1, 500_000, 999_999, 1_000_001, 1_500_000, 2_000_000])),  # ppm
    st.tuples(st.integers(0, 4), st.just(0)),  # 2^96: past the cache's 96 bits
)
# Seconds the block time moves on: within a rate cache (1 s, 1 h), just past the 1 h cache, past a day, or days.
ADVANCE = st.one_of(st.just(0), st.sampled_from([1, 3599, 3600, 3601, 86_401]), st.integers(0, 4 * DAY))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool=st.integers(min_value=0, max_value=4),
    i=st.integers(0, 4),
    j=st.integers(0, 4),
    exact_in=st.booleans(),
    fee=FEES,
    pre=PRE_SWAPS,
    ramp=RAMPS,
    rate=RATES,
    advance=ADVANCE,
    amount=_amounts(),
)
@example(
    pool=POOL_3USD, i=0, j=1, exact_in=True, fee=None, pre=None, ramp=None, rate=None, advance=0, amount=("abs", 1)
)
@example(
    pool=POOL_3USD, i=1, j=0, exact_in=False, fee=None, pre=None, ramp=None, rate=None, advance=0, amount=("abs", 1)
)
@example(
    pool=POOL_3USD, i=0, j=2, exact_in=False, fee=None, pre=None, ramp=None, rate=None, advance=0, amount=("all", 0)
)
@example(
    pool=POOL_3USD, i=0, j=2, exact_in=False, fee=None, pre=None, ramp=None, rate=None, advance=0, amount=("all", -1)
)
@example(
    pool=POOL_RATE,
    i=0,
    j=1,
    exact_in=True,
    fee=None,
    pre=None,
    ramp=None,
    rate=(0, 1_500_000),
    advance=3600,
    amount=("bps", 100),
)
@example(
    pool=POOL_RATE,
    i=0,
    j=1,
    exact_in=True,
    fee=None,
    pre=None,
    ramp=None,
    rate=(0, 1_500_000),
    advance=3601,
    amount=("bps", 100),
)
@example(
    pool=POOL_RATE,
    i=1,
    j=0,
    exact_in=False,
    fee=None,
    pre=None,
    ramp=(200, 1),
    rate=None,
    advance=43_200,
    amount=("bps", 500),
)
@example(
    pool=POOL_FIVE, i=0, j=4, exact_in=True, fee=10**17, pre=None, ramp=None, rate=(1, 0), advance=1, amount=("bps", 10)
)
@example(
    pool=POOL_FIVE,
    i=3,
    j=1,
    exact_in=False,
    fee=None,
    pre=None,
    ramp=(200, 1),
    rate=(0, 2_000_000),
    advance=DAY,
    amount=("bps", 9000),
)
@example(
    pool=POOL_TINY, i=0, j=1, exact_in=True, fee=10**12, pre=None, ramp=None, rate=None, advance=0, amount=("abs", 1)
)
@example(
    pool=POOL_TINY,
    i=1,
    j=0,
    exact_in=False,
    fee=None,
    pre=None,
    ramp=(50, 2),
    rate=None,
    advance=DAY,
    amount=("all", -1),
)
@example(
    pool=POOL_HUGE,
    i=0,
    j=1,
    exact_in=True,
    fee=10**17,
    pre=None,
    ramp=None,
    rate=None,
    advance=0,
    amount=("abs", 2**120),
)
@example(
    pool=POOL_HUGE,
    i=1,
    j=2,
    exact_in=False,
    fee=None,
    pre=(0, 1, 9000),
    ramp=None,
    rate=(2, 2_000_000),
    advance=86_401,
    amount=("bps", 9000),
)
@example(
    pool=POOL_3USD, i=0, j=1, exact_in=True, fee=None, pre=None, ramp=None, rate=None, advance=0, amount=("abs", 2**255)
)
@example(
    pool=POOL_3USD,
    i=1,
    j=0,
    exact_in=False,
    fee=None,
    pre=None,
    ramp=None,
    rate=None,
    advance=0,
    amount=("abs", 2**255),
)
def test_stable_swaps_equal_the_vault(
    bench: Bench,
    pool: int,
    i: int,
    j: int,
    exact_in: bool,
    fee: int | None,
    pre: tuple[int, int, int] | None,
    ramp: tuple[int, int] | None,
    rate: tuple[int, int] | None,
    advance: int,
    amount: tuple[str, int],
) -> None:
    entry = bench.entries[pool]
    cp = bench.sim.checkpoint()
    try:
        state = _model(bench, entry)
        i, j = _main(state, i), _main(state, j)
        if i == j:
            j = _main(state, i - (i > state.bpt_index) + 1)
        if fee is not None:
            assert bench.sim.call(bench.trader, entry.address, _data(SET_SWAP_FEE, fee)).success
        if pre is not None:
            k_in, k_out = _main(state, pre[0]), _main(state, pre[1])
            if k_in == k_out:
                k_out = _main(state, k_in - (k_in > state.bpt_index) + 1)
            pushed = max(1, state.balances[k_in] * pre[2] // 10_000)
            check_swap(bench, entry, k_in, k_out, True, pushed)  # itself checked against the model
        if ramp is not None:
            _start_ramp(bench, entry, *ramp)
        moved = None
        if rate is not None:
            with_provider = [k for k, p in enumerate(state.rate_providers) if p != ZERO_ADDRESS]
            if with_provider:
                k = with_provider[rate[0] % len(with_provider)]
                cache = state.rate_caches[k]
                assert cache is not None and cache.provider_rate is not None
                new = 2**96 if rate[1] == 0 else cache.provider_rate * rate[1] // 1_000_000
                assert bench.sim.call(bench.trader, state.rate_providers[k], _data(SET_RATE, new)).success
                moved = k
        _set_time(bench, _now(bench) + advance)
        state = _model(bench, entry)
        if moved is not None:
            cache = state.rate_caches[moved]
            assert cache is not None
            event(
                f"a provider's rate moved, its cache {'expired' if state.timestamp > cache.expires else 'still valid'}"
            )
        if amount[0] == "abs":
            value = amount[1]
        elif amount[0] == "bps":
            value = max(1, state.balances[i if exact_in else j] * amount[1] // 10_000)
        else:
            value = max(1, state.balances[j] + amount[1])
        outcome = check_swap(bench, entry, i, j, exact_in, value)
        event(f"{'exact in' if exact_in else 'exact out'}: {outcome}")
        if ramp is not None:
            event("with an amplification ramp")
        if state.due_rate_reads():
            event("with a rate cache refreshed by the swap")
    finally:
        bench.sim.revert(cp)
        bench.ramps.pop(entry.address, None)
        _set_time(bench, bench.start_time)


def test_a_paused_pool_refuses_like_the_vault(bench: Bench) -> None:
    entry = bench.entries[POOL_3USD]
    cp = bench.sim.checkpoint()
    try:
        role = _read(bench, entry.address, ACTION_ID, "bytes32", PAUSE[0])
        assert not bench.sim.call(bench.trader, entry.address, _data(PAUSE)).success  # not yet allowed
        assert bench.sim.call(bench.trader, bench.authorizer, _data(GRANT_ROLE, role, bench.trader)).success
        assert bench.sim.call(bench.trader, entry.address, _data(PAUSE)).success
        model = _model(bench, entry)
        assert model.paused
        a, c = _main(model, 0), _main(model, 1)
        assert check_swap(bench, entry, a, c, True, 10**18) == "402"
        assert check_swap(bench, entry, c, a, False, 10**6) == "402"
    finally:
        bench.sim.revert(cp)


def test_vault_refusals_and_bpt_swaps(bench: Bench) -> None:
    entry = bench.entries[POOL_3USD]
    model = _model(bench, entry)
    a, c = _main(model, 0), _main(model, 1)
    cp = bench.sim.checkpoint()
    try:
        assert check_swap(bench, entry, a, c, True, 0) == "510"
        assert check_swap(bench, entry, c, a, False, 0) == "510"
    finally:
        bench.sim.revert(cp)
    with pytest.raises(ContractRevert, match="BAL#509"):
        model.quote_exact_in(model.tokens[a], model.tokens[a], 10**6)
    # A swap to or from the BPT is a join or exit: without the supply and join/exit data the model does not guess.
    bpt = model.tokens[model.bpt_index]
    model.total_supply = 0
    with pytest.raises(UnsupportedSwap):
        model.quote_exact_in(model.tokens[a], bpt, 10**18)
    with pytest.raises(UnsupportedSwap):
        model.quote_exact_out(bpt, model.tokens[a], 10**6)
    assert _query(bench, entry, GIVEN_IN, model.tokens[a], bpt, 10**18).success


def test_an_expired_rate_cache_needs_the_providers_rate(bench: Bench) -> None:
    entry = bench.entries[POOL_RATE]
    model = _model(bench, entry)
    k = [k for k, p in enumerate(model.rate_providers) if p != ZERO_ADDRESS][-1]
    cache = model.rate_caches[k]
    assert cache is not None
    model.timestamp = cache.expires
    assert model.tokens[k] not in model.due_rate_reads()
    model.timestamp = cache.expires + 1
    assert model.tokens[k] in model.due_rate_reads()
    cache.provider_rate = None
    a, c = _main(model, 0), _main(model, 1)
    with pytest.raises(AmmError, match="provider's rate is needed"):
        model.quote_exact_in(model.tokens[a], model.tokens[c], 10**18)


STEPS = st.lists(
    st.tuples(
        st.integers(0, 4), st.integers(0, 4), st.booleans(), st.integers(min_value=1, max_value=9000),
        st.integers(0, 2 * 3600), st.sampled_from(["swap", "swap", "join", "exit"]),
    ),
    min_size=10,
    max_size=30,
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool=st.integers(min_value=0, max_value=4), steps=STEPS, ramp=RAMPS, protocol=PROTOCOL_FEES)
def test_one_model_follows_a_run_of_swaps(
    bench: Bench,
    pool: int,
    steps: list[tuple[int, int, bool, int, int, str]],
    ramp: tuple[int, int] | None,
    protocol: tuple[int, int] | None,
) -> None:
    # One model read once, then only its own bookkeeping (apply_swap / apply_swap_exact_out and the timestamp)
    # across a run of token swaps, joins and exits with time passing (rate caches expire and are refreshed by the
    # swaps, rates moved at the start give yield, a ramp moves, protocol fees are minted): every swap the Vault
    # makes must still be the model's, and so must the balances, the BPT supply and the join/exit data at the end.
    entry = bench.entries[pool]
    cp = bench.sim.checkpoint()
    try:
        if protocol is not None:
            _set_protocol_fees(bench, entry, *protocol)
        if ramp is not None:
            _start_ramp(bench, entry, *ramp)
        model = _model(bench, entry)
        for provider in model.rate_providers:  # yield since the last join: every rate up 1%
            if provider != ZERO_ADDRESS:
                rate = _read(bench, provider, GET_RATE, "uint256") * 101 // 100
                assert bench.sim.call(bench.trader, provider, _data(SET_RATE, rate)).success
        bpt = model.bpt_index
        swapped = joins_exits = 0
        for i, j, exact_in, bps, wait, what in steps:
            i, j = _main(model, i), _main(model, j)
            if i == j:
                j = _main(model, i - (i > bpt) + 1)
            if what == "join":
                j = bpt
            elif what == "exit":
                i = bpt
            _set_time(bench, _now(bench) + wait)
            model.timestamp = _now(bench)
            for k, c in enumerate(model.rate_caches):  # the providers' answers, as a syncer reads them
                if c is not None:
                    c.provider_rate = _read(bench, model.rate_providers[k], GET_RATE, "uint256")
            given = i if exact_in else j
            side = model.total_supply - model.balances[bpt] if given == bpt else model.balances[given]
            amount = max(1, side * bps // 10_000)
            token_in, token_out = model.tokens[i], model.tokens[j]
            kind = GIVEN_IN if exact_in else GIVEN_OUT
            before_in, before_out = _balance(bench, token_in), _balance(bench, token_out)
            swap = _swap(bench, entry, kind, token_in, token_out, amount)
            trial = model.copy()
            try:
                if exact_in:
                    expected = (amount, trial.apply_swap(token_in, token_out, amount))
                else:
                    expected = (trial.apply_swap_exact_out(token_in, token_out, amount), amount)
            except ContractRevert as exc:
                assert not swap.success and _code(swap) == _model_code(exc), (swap.revert_reason, str(exc))
                continue
            if not swap.success and _code(swap) == "416" and i == bpt:
                assert expected[0] > before_in  # the trader holds less BPT than this exit burns; nothing moved
                continue
            assert swap.success, swap.revert_reason
            assert (before_in - _balance(bench, token_in), _balance(bench, token_out) - before_out) == expected
            model = trial
            swapped += 1
            joins_exits += bpt in (i, j)
        assert list(_pool_tokens(bench, entry)[1]) == model.balances
        after = _join_exit_state(bench, entry)
        assert (after["total_supply"], after["last_join_exit_amp"], after["last_join_exit_invariant"]) == (
            model.total_supply,
            model.last_join_exit_amp,
            model.last_join_exit_invariant,
        )
        event(f"swaps executed per run: {'none' if swapped == 0 else 'some' if swapped < 10 else '10+'}")
        event(
            f"joins and exits executed per run: {'none' if joins_exits == 0 else 'some' if joins_exits < 5 else '5+'}"
        )
    finally:
        bench.sim.revert(cp)
        bench.ramps.pop(entry.address, None)
        _set_time(bench, bench.start_time)


# -- mutation check: the comparisons above catch plausible slips in the model ---------------------------------


def _no_minus_one(amp: int, balances: Any, i: int, j: int, amount_in: int, invariant: int) -> int:
    moved = list(balances)
    moved[i] += amount_in
    return balances[j] - balance_given_invariant_orig(amp, moved, invariant, j)


balance_given_invariant_orig = balancer_stable.balance_given_invariant


def _invariant_rounded_up(amp: int, balances: Any) -> int:
    return int(_invariant_orig(amp, balances)) + 1


_invariant_orig = balancer_stable.stable_invariant


def _amp_without_ramp(start: int, end: int, start_time: int, end_time: int, timestamp: int) -> int:
    return end


def _never_refresh(self: BalancerComposableStablePool) -> list[RateCache | None]:
    return list(self.rate_caches)


def _no_protocol_fees(supply: int, share: int) -> int:
    return 0


def _no_old_rate_roll(self: BalancerComposableStablePool, after: Any) -> None:
    self.rate_caches = after.caches
    if after.join_exit is not None:
        minted, amp, invariant = after.join_exit
        self.total_supply += minted
        self.last_join_exit_amp, self.last_join_exit_invariant = amp, invariant


MUTANTS: dict[str, tuple[Any, str, Callable[..., Any]]] = {
    "no protocol fee BPT minted on a join or exit": (balancer_stable, "bpt_for_ownership", _no_protocol_fees),
    "old rates not rolled forward after a join or exit": (BalancerComposableStablePool, "_book", _no_old_rate_roll),
    "exact-in output without the final - 1": (balancer_stable, "stable_out_given_in", _no_minus_one),
    "invariant one unit high": (balancer_stable, "stable_invariant", _invariant_rounded_up),
    "amplification ramp ignored": (balancer_stable, "amplification_at", _amp_without_ramp),
    "expired rate caches not refreshed": (BalancerComposableStablePool, "_refreshed", _never_refresh),
}


def _fixed_case_failures(bench: Bench) -> int:
    """How many of a few fixed cases (plain swaps both ways, into an 18-decimal token, a ramp half way, an expired
    cache with a moved rate, joins and an exit under protocol fees after yield) fail `check_swap`."""
    failures = 0
    for pool, exact_in, reverse, ramp, rate_ppm, advance, bpt in (
        (POOL_3USD, True, False, None, None, 0, ""),
        (POOL_3USD, True, True, None, None, 0, ""),  # into the 18-decimal token: the last unit shows
        (POOL_3USD, False, False, None, None, 0, ""),
        (POOL_3USD, True, False, (200, 1), None, DAY // 2, ""),
        (POOL_RATE, True, False, None, 1_500_000, 3601, ""),
        (POOL_RATE, False, False, None, 1_500_000, 3601, ""),
        (POOL_3USD, True, False, None, None, 0, "join"),
        (POOL_FIVE, True, False, None, 1_500_000, 1, "join"),
        (POOL_RATE, False, False, None, 1_200_000, 3601, "exit"),
    ):
        entry = bench.entries[pool]
        cp = bench.sim.checkpoint()
        try:
            model = _model(bench, entry)
            a, c = _main(model, 0), _main(model, 1)
            if reverse:
                a, c = c, a
            if bpt:
                _set_protocol_fees(bench, entry, 5 * 10**17, 5 * 10**17)
                a, c = (a, model.bpt_index) if bpt == "join" else (model.bpt_index, a)
            if ramp is not None:
                _start_ramp(bench, entry, *ramp)
            if rate_ppm is not None:
                k = [k for k, p in enumerate(model.rate_providers) if p != ZERO_ADDRESS][-1]
                cache = model.rate_caches[k]
                assert cache is not None and cache.provider_rate is not None
                new = cache.provider_rate * rate_ppm // 1_000_000
                assert bench.sim.call(bench.trader, model.rate_providers[k], _data(SET_RATE, new)).success
            _set_time(bench, _now(bench) + advance)
            amount = model.balances[a if exact_in else c] // 20
            if bpt:
                amount = model.balances[a] // 20 if bpt == "join" else model.balances[c] // 20
            assert check_swap(bench, entry, a, c, exact_in, amount) == "swapped"
        except AssertionError:
            failures += 1
        finally:
            bench.sim.revert(cp)
            bench.ramps.pop(entry.address, None)
            _set_time(bench, bench.start_time)
    return failures


def test_the_mutation_cases_pass_with_the_model_as_it_is(bench: Bench) -> None:
    assert _fixed_case_failures(bench) == 0


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_a_mutated_model_is_caught(bench: Bench, monkeypatch: pytest.MonkeyPatch, mutant: str) -> None:
    owner, name, replacement = MUTANTS[mutant]
    monkeypatch.setattr(owner, name, replacement)
    assert _fixed_case_failures(bench) > 0, f"the mutation '{mutant}' went unnoticed"


TOKEN_RATE_CACHE_UPDATED = keccak(text="TokenRateCacheUpdated(uint256,uint256)")
UPDATE_RATE_CACHE = _fn("updateTokenRateCache(address)")


@pytest.mark.parametrize("pool", [POOL_RATE, POOL_FIVE, POOL_HUGE])
def test_a_model_following_the_pools_events_stays_exact(bench: Bench, pool: int) -> None:
    # A model read once, then kept up to date only from the logs: AmpUpdateStarted (apply_amp_update) and
    # TokenRateCacheUpdated from an explicit updateTokenRateCache (apply_rate_update), while the block time moves
    # and providers' rates change; each swap the Vault makes must be the model's, and the caches must agree.
    entry = bench.entries[pool]
    cp = bench.sim.checkpoint()
    try:
        model = _model(bench, entry)
        with_provider = [k for k, p in enumerate(model.rate_providers) if p != ZERO_ADDRESS]
        a, c = _main(model, 0), _main(model, 1)
        raw = _read(bench, entry.address, AMP, "(uint256,bool,uint256)")[0] // AMP_PRECISION
        end = raw * 2 if raw <= 2500 else raw // 2  # as far as one day allows, within 1..5000
        started = bench.sim.call(bench.trader, entry.address, _data(START_AMP, end, _now(bench) + DAY))
        assert started.success, started.revert_reason
        (log,) = [lg for lg in started.logs if bytes(lg.topics[0]) == AMP_UPDATE_STARTED]
        model.apply_amp_update(*decode(["uint256"] * 4, log.data))
        for step, (wait, ppm) in enumerate(((600, 1_010_000), (7200, 990_000), (DAY // 3, 1_200_000))):
            for k in with_provider:  # the provider moves, then someone refreshes the pool's cache explicitly
                rate = _read(bench, model.rate_providers[k], GET_RATE, "uint256") * ppm // 1_000_000
                assert bench.sim.call(bench.trader, model.rate_providers[k], _data(SET_RATE, rate)).success
            _set_time(bench, _now(bench) + wait)
            model.timestamp = _now(bench)
            refreshed = bench.sim.call(
                bench.trader, entry.address, _data(UPDATE_RATE_CACHE, model.tokens[with_provider[0]])
            )
            assert refreshed.success, refreshed.revert_reason
            for lg in refreshed.logs:
                if bytes(lg.topics[0]) == TOKEN_RATE_CACHE_UPDATED:
                    k = int.from_bytes(bytes(lg.topics[1]), "big")
                    model.apply_rate_update(model.tokens[k], decode(["uint256"], lg.data)[0], model.timestamp)
            for k in with_provider:  # what a syncer reads for the caches the next swap refreshes
                cache = model.rate_caches[k]
                assert cache is not None
                cache.provider_rate = _read(bench, model.rate_providers[k], GET_RATE, "uint256")
            t_in, t_out = (model.tokens[a], model.tokens[c]) if step % 2 == 0 else (model.tokens[c], model.tokens[a])
            amount = model.balances[model.index(t_in)] // 50
            before_in, before_out = _balance(bench, t_in), _balance(bench, t_out)
            swap = _swap(bench, entry, GIVEN_IN, t_in, t_out, amount)
            assert swap.success, swap.revert_reason
            out = model.apply_swap(t_in, t_out, amount)
            assert (before_in - _balance(bench, t_in), _balance(bench, t_out) - before_out) == (amount, out)
            chain = _caches(bench, entry)
            assert [None if x is None else (x.rate, x.expires) for x in chain] == [
                None if x is None else (x.rate, x.expires) for x in model.rate_caches
            ]
        assert list(_pool_tokens(bench, entry)[1]) == model.balances
        assert model.amplification == _read(bench, entry.address, AMP, "(uint256,bool,uint256)")[0]
    finally:
        bench.sim.revert(cp)
        _set_time(bench, bench.start_time)


def _set_protocol_fees(b: Bench, entry: BalancerPoolEntry, swap_share: int, yield_share: int) -> None:
    """The governance path to protocol fees: the collector's swap fee and the provider's yield fee (roles granted
    to the trader through the Authorizer), then the pool's permissionless fee cache update."""
    collector = Web3.to_checksum_address(_read(b, b.vault, FEES_COLLECTOR, "address"))
    provider = b.provider
    for target, fn in ((collector, SET_COLLECTOR_SWAP_FEE), (provider, SET_FEE_TYPE)):
        role = _read(b, target, ACTION_ID, "bytes32", fn[0])
        assert b.sim.call(b.trader, b.authorizer, _data(GRANT_ROLE, role, b.trader)).success
    assert b.sim.call(b.trader, collector, _data(SET_COLLECTOR_SWAP_FEE, swap_share)).success
    assert b.sim.call(b.trader, provider, _data(SET_FEE_TYPE, FEE_YIELD, yield_share)).success
    result = b.sim.call(b.trader, entry.address, _data(UPDATE_FEE_CACHE))
    assert result.success, result.revert_reason


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pool=st.integers(min_value=0, max_value=4),
    k=st.integers(0, 4),
    join=st.booleans(),
    exact_in=st.booleans(),
    fee=FEES,
    protocol=PROTOCOL_FEES,
    pre=PRE_SWAPS,
    ramp=RAMPS,
    rate=RATES,
    advance=ADVANCE,
    amount=_amounts(),
)
def test_bpt_swaps_equal_the_vault(
    bench: Bench,
    pool: int,
    k: int,
    join: bool,
    exact_in: bool,
    fee: int | None,
    protocol: tuple[int, int] | None,
    pre: tuple[int, int, int] | None,
    ramp: tuple[int, int] | None,
    rate: tuple[int, int] | None,
    advance: int,
    amount: tuple[str, int],
) -> None:
    # Single-token joins and exits through Vault.swap (token -> BPT, BPT -> token), after the protocol fees, the
    # pool's fee, a push off balance (which grows the invariant the protocol takes a share of), a ramp and a moved
    # rate (yield the protocol takes a share of): the trader's deltas, the query, the balances, the BPT minted to
    # the protocol and the join/exit data all equal the model's.
    entry = bench.entries[pool]
    cp = bench.sim.checkpoint()
    try:
        state = _model(bench, entry)
        token = _main(state, k)
        bpt = state.bpt_index
        if protocol is not None:
            _set_protocol_fees(bench, entry, *protocol)
        if fee is not None:
            assert bench.sim.call(bench.trader, entry.address, _data(SET_SWAP_FEE, fee)).success
        if pre is not None:
            k_in, k_out = _main(state, pre[0]), _main(state, pre[1])
            if k_in == k_out:
                k_out = _main(state, k_in - (k_in > bpt) + 1)
            check_swap(bench, entry, k_in, k_out, True, max(1, state.balances[k_in] * pre[2] // 10_000))
        if ramp is not None:
            _start_ramp(bench, entry, *ramp)
        if rate is not None:
            with_provider = [x for x, p in enumerate(state.rate_providers) if p != ZERO_ADDRESS]
            if with_provider:
                x = with_provider[rate[0] % len(with_provider)]
                cache = state.rate_caches[x]
                assert cache is not None and cache.provider_rate is not None
                new = 2**96 if rate[1] == 0 else cache.provider_rate * rate[1] // 1_000_000
                assert bench.sim.call(bench.trader, state.rate_providers[x], _data(SET_RATE, new)).success
        _set_time(bench, _now(bench) + advance)
        state = _model(bench, entry)
        i, j = (token, bpt) if join else (bpt, token)
        circulating = state.total_supply - state.balances[bpt]
        given_bpt = exact_in != join  # the BPT is the given amount on an exact-input exit or exact-output join
        if amount[0] == "abs":
            value = amount[1]
        elif amount[0] == "bps":
            value = max(1, (circulating if given_bpt else state.balances[token]) * amount[1] // 10_000)
        else:
            value = max(1, (circulating if given_bpt else state.balances[token]) + amount[1])
        outcome = check_swap(bench, entry, i, j, exact_in, value)
        event(f"{'join' if join else 'exit'} {'exact in' if exact_in else 'exact out'}: {outcome}")
        if protocol is not None and any(protocol):
            event("with protocol fees")
    finally:
        bench.sim.revert(cp)
        bench.ramps.pop(entry.address, None)
        _set_time(bench, bench.start_time)
