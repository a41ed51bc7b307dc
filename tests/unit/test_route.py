"""The route codec: round trips for every capital source, field-naming errors, exact loan fees."""

from __future__ import annotations

import pytest

from arbbot.execution.route import (
    HEADER,
    HOP,
    HOP_V4,
    Capital,
    Hop,
    Route,
    RouteError,
    aave_premium,
    decode,
    encode,
    v2_flash_fee,
    v3_flash_fee,
)

T = "0x" + "11" * 20
U = "0x" + "33" * 20
P1, P2, LENDER = "0x" + "22" * 20, "0x" + "44" * 20, "0x" + "55" * 20
U2 = "0x" + "77" * 20
HOPS = (Hop(P1, U, False, True), Hop(P2, T, True, False))


ZERO = "0x" + "00" * 20
HOOKS = "0x" + "66" * 19 + "c0"
V2_HOPS = (Hop(P1, U, False, True), Hop(P2, T, False, False, 25))


@pytest.mark.parametrize("capital", list(Capital))
def test_every_capital_round_trips(capital: Capital) -> None:
    lender = ZERO if capital in (Capital.OWN, Capital.FIRST_HOP, Capital.LAST_HOP) else LENDER
    hops = V2_HOPS if capital == Capital.LAST_HOP else HOPS
    route = Route(capital, lender, T, 10**18, 5, 100, hops)
    data = encode(route)
    assert len(data) == HEADER + 2 * HOP
    assert data[0] == int(capital)
    back = decode(data)
    assert back == route or capital == Capital.LAST_HOP or back.hops == hops
    assert back.capital == capital and back.amount_in == 10**18 and back.min_profit == 5
    assert back.lender.lower() == lender and back.hops[1].v3 == hops[1].v3 and not back.hops[1].zero_for_one


def test_v4_hops_are_47_bytes_with_the_pool_key_fields() -> None:
    """The contract's V4 hop layout: flags | hooks | token out | uint24 fee | int24 tick spacing."""
    v4 = Hop(HOOKS, U, False, True, v4=True, native=True, v4_fee=0x800000, tick_spacing=60)
    back_to_t = Hop(P2, T, False, False)
    for capital, lender in ((Capital.POOL_MANAGER, LENDER), (Capital.OWN, LENDER)):
        route = Route(capital, lender, T, 10**18, 0, 0, (v4, back_to_t))
        data = encode(route)
        assert len(data) == HEADER + HOP_V4 + HOP
        hop = data[HEADER : HEADER + HOP_V4]
        assert hop[0] == 2 | 4 | 8
        assert hop[1:21] == bytes.fromhex(HOOKS[2:]) and hop[21:41] == bytes.fromhex(U[2:])
        assert int.from_bytes(hop[41:44], "big") == 0x800000 and int.from_bytes(hop[44:47], "big") == 60
        back = decode(data)
        assert encode(back) == data
        assert (back.hops[0].v4, back.hops[0].native, back.hops[0].v4_fee, back.hops[0].tick_spacing) == (
            True, True, 0x800000, 60,
        )  # fmt: skip
    three = (Hop(P1, U, False, True), Hop(HOOKS, U2, False, False, v4=True, v4_fee=500, tick_spacing=10),
             Hop(P2, T, True, True))  # fmt: skip
    data = encode(Route(Capital.POOL_MANAGER, LENDER, T, 7, 0, 0, three))
    assert len(data) == HEADER + HOP + HOP_V4 + HOP
    assert encode(decode(data)) == data
    assert [h.size for h in decode(data).hops] == [HOP, HOP_V4, HOP]


def test_capital_rules_name_the_field() -> None:
    v4 = Hop(HOOKS, U, False, True, v4=True, v4_fee=500, tick_spacing=10)
    with pytest.raises(RouteError, match=r"hops\[0\]: a V4 hop runs inside the PoolManager's unlock; BALANCER"):
        encode(Route(Capital.BALANCER, LENDER, T, 1, 0, 0, (v4, Hop(P2, T, False, False))))
    with pytest.raises(RouteError, match="lender: OWN needs a lender \\(V4 hops: the PoolManager\\)"):
        encode(Route(Capital.OWN, ZERO, T, 1, 0, 0, (v4, Hop(P2, T, False, False))))
    with pytest.raises(RouteError, match=r"hops\[0\].native: only a V4 hop"):
        encode(Route(Capital.OWN, ZERO, T, 1, 0, 0, (Hop(P1, U, False, True, native=True), HOPS[1])))
    with pytest.raises(RouteError, match="lender: FIRST_HOP borrows from the route's own pair"):
        encode(Route(Capital.FIRST_HOP, LENDER, T, 1, 0, 0, HOPS))
    with pytest.raises(RouteError, match=r"hops\[0\]: FIRST_HOP capital needs the first hop to be a V2 pair"):
        encode(Route(Capital.FIRST_HOP, ZERO, T, 1, 0, 0, (Hop(P1, U, True, True), HOPS[1])))
    with pytest.raises(RouteError, match=r"hops\[1\]: LAST_HOP capital needs every hop to be a V2 pair"):
        encode(Route(Capital.LAST_HOP, ZERO, T, 1, 0, 0, HOPS))
    with pytest.raises(RouteError, match=r"hops\[0\]: V4 fee 16777216"):
        encode(Route(Capital.OWN, LENDER, T, 1, 0, 0, (Hop(HOOKS, U, False, True, v4=True, v4_fee=1 << 24,
                                                            tick_spacing=1), HOPS[1])))  # fmt: skip


def test_field_errors_name_field_and_value() -> None:
    with pytest.raises(RouteError, match="capital: unknown code 9"):
        encode(Route(9, LENDER, T, 1, 0, 0, HOPS))  # type: ignore[arg-type]
    with pytest.raises(RouteError, match="lender: V2_FLASH needs a lender"):
        encode(Route(Capital.V2_FLASH, "0x" + "00" * 20, T, 1, 0, 0, HOPS))
    with pytest.raises(RouteError, match=r"lender: .* is also hops\[1\].pool"):
        encode(Route(Capital.V3_FLASH, P2, T, 1, 0, 0, HOPS))
    with pytest.raises(RouteError, match="lender: not an address: 'vault'"):
        encode(Route(Capital.AAVE, "vault", T, 1, 0, 0, HOPS))
    with pytest.raises(RouteError, match=r"amount_in: must be in 1\.\.2\^128-1, got 0"):
        encode(Route(Capital.OWN, T, T, 0, 0, 0, HOPS))
    with pytest.raises(RouteError, match="hops: 5 hops"):
        encode(Route(Capital.OWN, T, T, 1, 0, 0, HOPS * 2 + HOPS[:1]))
    with pytest.raises(RouteError, match=r"hops\[-1\].token_out"):
        encode(Route(Capital.OWN, T, T, 1, 0, 0, (HOPS[0], HOPS[0])))
    with pytest.raises(RouteError, match=r"hops\[0\].fee_bps: must be 0..9999, got 10000"):
        encode(Route(Capital.OWN, T, T, 1, 0, 0, (Hop(P1, U, False, True, 10_000), HOPS[1])))


def test_decode_rejects_malformed_bytes() -> None:
    good = encode(Route(Capital.BALANCER, LENDER, T, 1, 0, 0, HOPS))
    with pytest.raises(RouteError, match="shorter than the 76-byte header"):
        decode(good[:75])
    with pytest.raises(RouteError, match="hop count 5"):
        decode(good[:1] + b"\x05" + good[2:])
    with pytest.raises(RouteError, match="162 bytes, 3 hops need 205"):
        decode(good[:1] + b"\x03" + good[2:])
    with pytest.raises(RouteError, match="161 bytes, 2 hops need 162"):
        decode(good[:-1])
    with pytest.raises(RouteError, match=r"hops\[0\].flags: 0x5"):
        decode(good[:HEADER] + b"\x05" + good[HEADER + 1 :])
    with pytest.raises(RouteError, match=r"hops\[0\].flags: 0x10"):
        decode(good[:HEADER] + b"\x10" + good[HEADER + 1 :])
    # A V4 flag makes the first hop 47 bytes: the next hop's flags are read where the contract reads them.
    with pytest.raises(RouteError, match=r"hops\[1\].flags: 0x44"):
        decode(good[:HEADER] + b"\x04" + good[HEADER + 1 :])
    with pytest.raises(RouteError, match="capital: unknown code 8"):
        decode(b"\x08" + good[1:])


def test_loan_fees_are_the_lenders_integer_math() -> None:
    # V2: the smallest r with 997 r >= 1000 a, and r - 1 fails.
    for a in (1, 997, 10**18, 123_456_789_012_345_678_901):
        r = a + v2_flash_fee(a)
        assert 997 * r >= 1000 * a > 997 * (r - 1)
    assert v3_flash_fee(10**18, 3000) == 3 * 10**15
    assert v3_flash_fee(1, 500) == 1  # rounds up
    assert aave_premium(10**18) == 5 * 10**14
    assert aave_premium(10_000) == 5 and aave_premium(1_000) == 1 and aave_premium(999) == 0  # half up
