"""Backrun of a pending swap: apply the victim's swap to copies of the pools it crosses, then price the
cycles through those pools on that hypothetical state (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from arbbot.amm.base import Pool
from arbbot.amm.errors import AmmError
from arbbot.amm.uniswap_v3.pool import UniswapV3Pool
from arbbot.strategy.arbitrage import Candidate, CycleArbitrage
from arbbot.strategy.mempool import PendingSwap


@dataclass(frozen=True)
class Router:
    kind: str  # "uniswap_v2_router02" | "uniswap_v3_swaprouter" | "universal_router"
    address: str
    factory: str  # universal_router: the V4 PoolManager (its legs name V4 pools by id)


class PoolDirectory:
    """(factory, token pair, fee) -> pool address, to find the pools a router's path goes through."""

    def __init__(self, entries: Iterable[tuple[str, str, str, int, str]] = ()) -> None:
        self._by_key: dict[tuple[str, frozenset[str], int | None], str] = {}
        for factory, token0, token1, fee, address in entries:
            self.add(factory, token0, token1, fee, address)

    def add(self, factory: str, token0: str, token1: str, fee: int | None, address: str) -> None:
        pair = frozenset((token0.lower(), token1.lower()))
        self._by_key[(factory.lower(), pair, fee)] = address.lower()
        self._by_key.setdefault((factory.lower(), pair, None), address.lower())  # V2: one pair per factory

    def find(self, factory: str, a: str, b: str, fee: int | None) -> str | None:
        return self._by_key.get((factory.lower(), frozenset((a.lower(), b.lower())), fee))


@dataclass(frozen=True)
class VictimEffect:
    """The victim's swap applied: the pools it changed (copies) and what it paid and got."""

    pools: dict[str, Pool]  # lower-case address -> state after the victim
    amount_in: int
    amount_out: int


def apply_victim(
    swap: PendingSwap, router: Router, pools: Mapping[str, Pool], directory: PoolDirectory
) -> VictimEffect | None:
    """The state after the victim's swap, or None if it would revert (slippage), is unknown, or is not modelled."""
    addresses = []
    for leg in swap.legs:
        if leg.pool_id is not None:
            address: str | None = leg.pool_id.lower()
        else:
            address = directory.find(router.factory, leg.token_in, leg.token_out, leg.fee)
        if address is None or address not in pools:
            return None
        addresses.append(address)
    copies: dict[str, Pool] = {}

    def model(address: str) -> Pool:
        if address not in copies:
            copies[address] = pools[address].copy()
        return copies[address]

    def token(pool: Pool, t: str) -> str:
        if pool.token0.lower() == t.lower() or (int(t, 16) == 0 and getattr(pool, "native", False)):
            return pool.token0  # a V4 pool's native ether is traded as its token0 (WETH)
        if pool.token1.lower() == t.lower():
            return pool.token1
        raise AmmError(f"pool {pool.address} does not trade {t}")

    try:
        if swap.exact_in:
            amount = swap.amount
            for leg, address in zip(swap.legs, addresses, strict=True):
                p = model(address)
                amount = p.apply_swap(token(p, leg.token_in), amount)
            if amount < swap.limit:
                return None  # the router would revert: too little out
            return VictimEffect(copies, swap.amount, amount)
        # Exact output: the inputs are fixed back to front, then the swaps run front to back.
        needs = [0] * len(addresses)
        want = swap.amount
        for i in range(len(addresses) - 1, -1, -1):
            p = pools[addresses[i]]
            needs[i] = want
            want = p.quote_exact_out(token(p, swap.legs[i].token_in), want)
        if want > swap.limit:
            return None  # the router would revert: too much in
        for i, address in enumerate(addresses):
            p = model(address)
            tin = token(p, swap.legs[i].token_in)
            if isinstance(p, UniswapV3Pool):
                r = p.swap(p.token0 == tin, -needs[i])
                p.sqrt_price_x96, p.tick, p.liquidity = r.sqrt_price_x96, r.tick, r.liquidity
            else:
                p.apply_swap(tin, p.quote_exact_out(tin, needs[i]))
        return VictimEffect(copies, want, swap.amount)
    except AmmError:
        return None


class BackrunStrategy:
    def __init__(self, arbitrage: CycleArbitrage, routers: Iterable[Router], directory: PoolDirectory) -> None:
        self.arbitrage = arbitrage
        self.routers = {r.address.lower(): r for r in routers}
        self.directory = directory

    @property
    def router_kinds(self) -> dict[str, str]:
        return {a: r.kind for a, r in self.routers.items()}

    def candidates(
        self,
        swap: PendingSwap,
        router_address: str,
        pools: Mapping[str, Pool],
        limit: int | None = None,
        size_top: int | None = None,
    ) -> tuple[VictimEffect | None, list[Candidate]]:
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
