"""Backrun of a pending swap: apply the victim's swap to copies of the pools it crosses, then price the
cycles through those pools on that hypothetical state (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v2 import MAX_UINT112, UniswapV2Pool
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.amm.uniswap_v4.pool import UniswapV4Pool
from arbbot.strategy.arbitrage import Candidate, CycleArbitrage
from arbbot.strategy.mempool import PendingSwap, PendingSwaps, decode_swap


@dataclass(frozen=True)
class Router:
    """A router whose pending transactions are followed: its kind (one of `mempool.ROUTER_KINDS`), its address and
    the factories its legs' pools come from.

    For a UniversalRouter, `factory` is the V4 PoolManager, `v2_factory`/`v3_factory` the sources of its V2/V3
    legs' pools and `weth` the wrapped ether it wraps to and unwraps from.
    """

    kind: str  # one of mempool.ROUTER_KINDS
    address: str
    factory: str  # universal routers: the V4 PoolManager (their V4 legs name pools by id)
    v2_factory: str | None = None  # universal routers: where their V2 and V3 legs' pools come from
    v3_factory: str | None = None
    weth: str | None = None  # universal routers: the WETH they wrap to and unwrap from

    def factory_of(self, venue: str | None) -> str | None:
        """The factory a leg's pool comes from for `venue` (`"v2"`, `"v3"`, else `factory`); `None` if unset."""
        if venue == "v2":
            return self.v2_factory
        if venue == "v3":
            return self.v3_factory
        return self.factory


class PoolDirectory:
    """(factory, token pair, fee) -> pool address, to find the pools a router's path goes through."""

    def __init__(self, entries: Iterable[tuple[str, str, str, int, str]] = ()) -> None:
        self._by_key: dict[tuple[str, frozenset[str], int | None], str] = {}
        for factory, token0, token1, fee, address in entries:
            self.add(factory, token0, token1, fee, address)

    def add(self, factory: str, token0: str, token1: str, fee: int | None, address: str) -> None:
        """Record `address` as the pool of `factory` for the token pair and fee; the first pool added for a pair is
        also its fee-less (V2) entry.
        """
        pair = frozenset((token0.lower(), token1.lower()))
        self._by_key[(factory.lower(), pair, fee)] = address.lower()
        self._by_key.setdefault((factory.lower(), pair, None), address.lower())  # V2: one pair per factory

    def find(self, factory: str, a: str, b: str, fee: int | None) -> str | None:
        """The pool of `factory` for tokens `a`/`b` (either order) and `fee` (`None`: the V2 pair), or `None`."""
        return self._by_key.get((factory.lower(), frozenset((a.lower(), b.lower())), fee))


@dataclass(frozen=True)
class HopEffect:
    """One pool swap of the victim: the pool (lower-case; V4: pool id), input token, raw amounts in and out."""

    pool: str  # lower-case address (V4: pool id)
    token_in: str
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class VictimEffect:
    """The victim's swaps applied in order: the pools they changed (copies) and every hop's amounts."""

    pools: dict[str, Pool]  # lower-case address -> state after the victim
    hops: tuple[HopEffect, ...]
    swaps: tuple[tuple[int, int], ...]  # (paid, got) per swap that happens; an allow-revert group that
    # would revert leaves none

    @property
    def amount_in(self) -> int:
        """What the victim pays into its first swap, in raw units of its input token."""
        return self.swaps[0][0]

    @property
    def amount_out(self) -> int:
        """What the victim gets from its last swap, in raw units of its output token."""
        return self.swaps[-1][1]


class _Reverts(Exception):
    """A swap of the victim's would revert (a slippage check fails)."""


def _token(pool: Pool, t: str) -> str:
    if pool.token0.lower() == t.lower() or (int(t, 16) == 0 and getattr(pool, "native", False)):
        return pool.token0  # a V4 pool's native ether is traded as its token0 (WETH)
    if pool.token1.lower() == t.lower():
        return pool.token1
    raise AmmError(f"pool {pool.address} does not trade {t}")


def _addresses(
    swap: PendingSwap, router: Router, pools: Mapping[str, Pool], directory: PoolDirectory
) -> list[str] | None:
    out = []
    for leg in swap.legs:
        if leg.pool_id is not None:
            address: str | None = leg.pool_id.lower()
        else:
            factory = router.factory_of(leg.venue)
            address = directory.find(factory, leg.token_in, leg.token_out, leg.fee) if factory else None
        if address is None or address not in pools:
            return None
        out.append(address)
    return out


def _apply_one(
    swap: PendingSwap, addresses: list[str], model: Callable[[str], Pool], hops: list[HopEffect]
) -> tuple[int, int]:
    """Apply one swap to the models; raises _Reverts when a check of the router's fails."""
    if swap.exact_in:
        amount = swap.amount
        for leg, address in zip(swap.legs, addresses, strict=True):
            p = model(address)
            tin = _token(p, leg.token_in)
            out = p.apply_swap(tin, amount)
            hops.append(HopEffect(address, tin, amount, out))
            if out < leg.min_out:
                raise _Reverts
            amount = out
        if amount < swap.limit:
            raise _Reverts  # the router would revert: too little out
        return swap.amount, amount
    # Exact output: the inputs are fixed back to front (as the routers quote them), then applied.
    needs = [0] * len(addresses)
    want = swap.amount
    for i in range(len(addresses) - 1, -1, -1):
        p = model(addresses[i])
        needs[i] = want
        want = p.quote_exact_out(_token(p, swap.legs[i].token_in), want)
    if want > swap.limit:
        raise _Reverts  # the router would revert: too much in
    arrived = want  # what reaches the next pool (differs from the quote only after a V2 pair that pays arrivals)
    for i, address in enumerate(addresses):
        p = model(address)
        tin = _token(p, swap.legs[i].token_in)
        if isinstance(p, UniswapV3Pool | UniswapV4Pool):
            paid = p.quote_exact_out(tin, needs[i])
            zero_for_one = p.token0 == tin
            r = p.swap(zero_for_one, -needs[i] if isinstance(p, UniswapV3Pool) else needs[i])
            p.sqrt_price_x96, p.tick, p.liquidity = r.sqrt_price_x96, r.tick, r.liquidity
            got = needs[i]
        elif isinstance(p, UniswapV2Pool) and swap.v2_pays_arrivals:
            paid = arrived
            got = p.apply_swap(tin, paid)
        elif isinstance(p, UniswapV2Pool):
            paid, got = p.quote_exact_out(tin, needs[i]), needs[i]
            _pay_exact(p, tin, paid, got)
        else:
            paid = p.quote_exact_out(tin, needs[i])
            got = p.apply_swap(tin, paid)
        hops.append(HopEffect(address, tin, paid, got))
        arrived = got
    return want, arrived


def _pay_exact(p: UniswapV2Pool, token_in: str, paid: int, got: int) -> None:
    """Router02's exact-output hop: the pair takes the quoted input and pays exactly the asked output."""
    if p.token0.lower() == token_in.lower():
        reserve0, reserve1 = p.reserve0 + paid, p.reserve1 - got
    else:
        reserve0, reserve1 = p.reserve0 - got, p.reserve1 + paid
    if max(reserve0, reserve1) > MAX_UINT112:
        raise _Reverts  # the pair reverts with UniswapV2: OVERFLOW
    p.apply_sync(reserve0, reserve1)


def apply_victim(
    swaps: Sequence[PendingSwap], router: Router, pools: Mapping[str, Pool], directory: PoolDirectory
) -> VictimEffect | None:
    """The state after the victim's swaps, or None if it would revert (slippage), is unknown, or is not
    modelled. Swaps of one allow-revert group happen together or not at all."""
    if not swaps:
        return None
    resolved = []
    for swap in swaps:
        addresses = _addresses(swap, router, pools, directory)
        if addresses is None:
            return None
        resolved.append((swap, addresses))
    copies: dict[str, Pool] = {}
    hops: list[HopEffect] = []
    done: list[tuple[int, int]] = []

    def run(batch: list[tuple[PendingSwap, list[str]]], soft: bool) -> None:
        trial: dict[str, Pool] = {}
        batch_hops: list[HopEffect] = []

        def model(address: str) -> Pool:
            if address not in trial:
                trial[address] = (copies.get(address) or pools[address]).copy()
            return trial[address]

        try:
            results = [_apply_one(s, a, model, batch_hops) for s, a in batch]
        except _Reverts:
            if soft:
                return  # the sub-plan reverts, the transaction goes on without it
            raise
        copies.update(trial)
        hops.extend(batch_hops)
        done.extend(results)

    try:
        i = 0
        while i < len(resolved):
            group = resolved[i][0].group
            j = i + 1
            while group is not None and j < len(resolved) and resolved[j][0].group == group:
                j += 1
            run(resolved[i:j], soft=group is not None)
            i = j
    except (_Reverts, AmmError):
        return None
    if not done:
        return None
    return VictimEffect(copies, tuple(hops), tuple(done))


class BackrunStrategy:
    """Backruns of pending router swaps: decode a victim's transaction, apply its swaps to copies of the pools and
    price the cycles through the pools it moved.

    Only routers given are followed; pools are found through the `PoolDirectory`. Live state is never modified.
    """

    def __init__(self, arbitrage: CycleArbitrage, routers: Iterable[Router], directory: PoolDirectory) -> None:
        self.arbitrage = arbitrage
        self.routers = {r.address.lower(): r for r in routers}
        self.directory = directory

    @property
    def router_kinds(self) -> dict[str, str]:
        """Router address (lower-case) to router kind, as `mempool.decode_swap` takes it."""
        return {a: r.kind for a, r in self.routers.items()}

    def decode(self, tx: Mapping[str, Any]) -> PendingSwaps | None:
        """The swaps a pending transaction to one of our routers makes (None: not one we can follow)."""
        to = tx.get("to")
        router = self.routers.get(to.lower()) if isinstance(to, str) else None
        if router is None:
            return None
        return decode_swap(tx, {router.address.lower(): router.kind}, router.weth)

    def candidates(
        self,
        swap: PendingSwaps,
        router_address: str,
        pools: Mapping[str, Pool],
        limit: int | None = None,
        size_top: int | None = None,
    ) -> tuple[VictimEffect | None, list[Candidate]]:
        """The victim's effect and the profitable cycles on the state it leaves, best first.

        Returns `(None, [])` when the router is unknown or the victim's swaps cannot be followed exactly;
        `limit` and `size_top` are passed to `CycleArbitrage.on_update`.
        """
        router = self.routers.get(router_address.lower())
        if router is None:
            return None, []
        effect = apply_victim(swap, router, pools, self.directory)
        if effect is None:
            return None, []
        view = _Overlay(pools, effect.pools)
        return effect, self.arbitrage.on_update(effect.pools.keys(), view, limit, size_top)


class _Overlay(Mapping[str, Pool]):
    """The live pools with some replaced by hypothetical copies (no copy of the whole set)."""

    def __init__(self, base: Mapping[str, Pool], top: Mapping[str, Pool]) -> None:
        self.base, self.top = base, top

    def __getitem__(self, key: str) -> Pool:
        return self.top[key] if key in self.top else self.base[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)

    def __contains__(self, key: object) -> bool:
        return key in self.top or key in self.base

    def get(self, key: str, default: Pool | None = None) -> Pool | None:  # type: ignore[override]
        return self.top.get(key) or self.base.get(key, default)
