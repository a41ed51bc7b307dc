"""The route codec: round trips for every capital source, field-naming errors, exact loan fees."""

from __future__ import annotations

import pytest

from arbbot.execution.route import (
    HEADER,
    HOP,
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
HOPS = (Hop(P1, U, False, True), Hop(P2, T, True, False))


@pytest.mark.parametrize("capital", list(Capital))
def test_every_capital_round_trips(capital: Capital) -> None:
    lender = "0x" + "00" * 20 if capital == Capital.OWN else LENDER
    route = Route(capital, lender, T, 10**18, 5, 100, HOPS)
    data = encode(route)
    assert len(data) == HEADER + 2 * HOP
    assert data[0] == int(capital)
    back = decode(data)
    assert back.capital == capital and back.amount_in == 10**18 and back.min_profit == 5
    assert back.lender.lower() == lender and back.hops[1].v3 and not back.hops[1].zero_for_one


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
    with pytest.raises(RouteError, match=r"hops\[0\].flags: 0x4"):
        decode(good[:HEADER] + b"\x04" + good[HEADER + 1 :])
    with pytest.raises(RouteError, match="capital: unknown code 7"):
        decode(b"\x07" + good[1:])


def test_loan_fees_are_the_lenders_integer_math() -> None:
    # V2: the smallest r with 997 r >= 1000 a, and r - 1 fails.
    for a in (1, 997, 10**18, 123_456_789_012_345_678_901):
        r = a + v2_flash_fee(a)
        assert 997 * r >= 1000 * a > 997 * (r - 1)
    assert v3_flash_fee(10**18, 3000) == 3 * 10**15
    assert v3_flash_fee(1, 500) == 1  # rounds up
    assert aave_premium(10**18) == 5 * 10**14
    assert aave_premium(10_000) == 5 and aave_premium(1_000) == 1 and aave_premium(999) == 0  # half up
