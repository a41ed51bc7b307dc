"""Capital choice: which free sources can run a route, and the cheapest of those whose simulation succeeds."""

from __future__ import annotations

from arbbot.execution.capital import CapitalOption, CapitalSources, Measured, cheapest, options
from arbbot.execution.route import ZERO_ADDRESS, Capital, Hop, Route, encode

T, U = "0x" + "11" * 20, "0x" + "33" * 20
PM, VAULT = "0x" + "44" * 20, "0x" + "55" * 20
V2 = Hop("0x" + "21" * 20, U, False, True)
V2_BACK = Hop("0x" + "22" * 20, T, False, False)
V3_BACK = Hop("0x" + "23" * 20, T, True, False)
V4 = Hop("0x" + "00" * 20, U, False, True, v4=True, v4_fee=500, tick_spacing=10)
ALL = CapitalSources(pool_manager=PM, balancer_vault=VAULT, own_balance=True)
BAL = Hop(VAULT, U, False, True, balancer=True, pool_id="0x" + "ab" * 32)
BAL_BACK = Hop(VAULT, T, False, False, balancer=True, pool_id="0x" + "ab" * 32)


def test_options_follow_what_each_source_can_run() -> None:
    assert [o.capital for o in options((V2, V2_BACK), ALL)] == [
        Capital.LAST_HOP, Capital.FIRST_HOP, Capital.POOL_MANAGER, Capital.BALANCER, Capital.OWN,
    ]  # fmt: skip
    assert [o.capital for o in options((V2, V3_BACK), ALL)] == [
        Capital.FIRST_HOP, Capital.POOL_MANAGER, Capital.BALANCER, Capital.OWN,
    ]  # fmt: skip
    v4 = options((V4, V2_BACK), ALL)
    assert v4 == [CapitalOption(Capital.POOL_MANAGER, PM), CapitalOption(Capital.OWN, PM)]
    assert options((V4, V2_BACK), CapitalSources(balancer_vault=VAULT)) == []  # V4 needs the PoolManager
    none = CapitalSources(own_pairs=False)
    assert options((V2, V2_BACK), none) == []
    assert options((V2, V2_BACK), CapitalSources())[0] == CapitalOption(Capital.LAST_HOP, ZERO_ADDRESS)


def test_a_balancer_hop_never_gets_the_balancer_loan_nor_a_flash_swap_in_its_place() -> None:
    """The Vault refuses a swap inside its own flash loan (BAL#400); the flash swaps need V2 pairs where they lend."""
    assert [o.capital for o in options((BAL, V2_BACK), ALL)] == [Capital.POOL_MANAGER, Capital.OWN]
    assert [o.capital for o in options((V2, BAL_BACK), ALL)] == [Capital.FIRST_HOP, Capital.POOL_MANAGER, Capital.OWN]
    assert options((BAL, V2_BACK), CapitalSources(balancer_vault=VAULT)) == []
    # Each option the list offers is one the route codec accepts.
    for hops in ((BAL, V2_BACK), (V2, BAL_BACK)):
        for o in options(hops, ALL):
            encode(Route(o.capital, o.lender, T, 1, 0, 0, hops))


def test_cheapest_is_the_least_gas_among_successes() -> None:
    opts = options((V2, V2_BACK), ALL)
    gas = {Capital.LAST_HOP: 190_000, Capital.FIRST_HOP: 185_000, Capital.POOL_MANAGER: 170_000,
           Capital.BALANCER: 240_000, Capital.OWN: 160_000}  # fmt: skip
    failing = {Capital.POOL_MANAGER, Capital.OWN}  # e.g. the PoolManager holds none, the executor none
    seen = []

    def measure(o: CapitalOption) -> Measured:
        seen.append(o.capital)
        return Measured(o, o.capital not in failing, gas[o.capital])

    best = cheapest(opts, measure)
    assert best is not None and best.option.capital == Capital.FIRST_HOP and best.gas == 185_000
    assert seen == [o.capital for o in opts]  # every option was measured
    assert cheapest(opts, lambda o: Measured(o, False, 1)) is None
