"""The route codec: round trips for every capital source, field-naming errors, exact loan fees."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address

from arbbot.amm.balancer_pair import BalancerPairView
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.execution.route import (
    HEADER,
    HOP,
    HOP_BALANCER,
    HOP_V4,
    Capital,
    Hop,
    Route,
    RouteError,
    aave_premium,
    decode,
    encode,
    hop_for,
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
    with pytest.raises(RouteError, match=r"hops\[0\].flags: 0x20"):
        decode(good[:HEADER] + b"\x20" + good[HEADER + 1 :])
    with pytest.raises(RouteError, match=r"hops\[0\].flags: 0x11"):
        decode(good[:HEADER] + b"\x11" + good[HEADER + 1 :])
    # A Balancer flag makes the first hop 73 bytes: the 162 bytes no longer hold two hops.
    with pytest.raises(RouteError, match=r"162 bytes, 2 hops need|hops\[1\].flags"):
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


VAULT = "0xBA12222222228d8Ba445958a75a0704d566BF2C8"
POOL_ID = "0x" + "ab" * 20 + "0002" + "00" * 9 + "17"
BAL = Hop(VAULT, U, False, True, balancer=True, pool_id=POOL_ID)
BAL_T = Hop(VAULT, T, False, False, balancer=True, pool_id=POOL_ID)  # back to the start token


def test_balancer_hops_are_73_bytes_vault_token_out_pool_id() -> None:
    """The contract's Balancer hop layout: flags | Vault | token out | bytes32 pool id."""
    for capital, lender in ((Capital.OWN, ZERO), (Capital.V2_FLASH, LENDER), (Capital.V3_FLASH, LENDER),
                            (Capital.AAVE, LENDER), (Capital.POOL_MANAGER, LENDER)):  # fmt: skip
        route = Route(capital, lender, T, 10**18, 3, 0, (BAL, Hop(P2, T, False, False)))
        data = encode(route)
        assert len(data) == HEADER + HOP_BALANCER + HOP
        hop = data[HEADER : HEADER + HOP_BALANCER]
        assert hop[0] == 16 | 2
        assert hop[1:21] == bytes.fromhex(VAULT[2:]) and hop[21:41] == bytes.fromhex(U[2:])
        assert hop[41:73] == bytes.fromhex(POOL_ID[2:])
        back = decode(data)
        assert back == route and encode(back) == data
    # In the middle of three hops, the direction bit kept either way; the next hop read at the right offset.
    mid = Hop(VAULT, U2, False, False, balancer=True, pool_id=POOL_ID.upper().replace("0X", "0x"))
    three = (Hop(P1, U, False, True), mid, Hop(P2, T, True, True))
    data = encode(Route(Capital.OWN, ZERO, T, 7, 0, 0, three))
    assert len(data) == HEADER + HOP + HOP_BALANCER + HOP and data[HEADER + HOP] == 16
    back = decode(data)
    assert [h.size for h in back.hops] == [HOP, HOP_BALANCER, HOP]
    assert back.hops[1].pool_id == POOL_ID.lower() and back.hops[2] == three[2] and encode(back) == data


def test_balancer_capital_rules_name_the_field() -> None:
    back = Hop(P2, T, False, False)
    with pytest.raises(RouteError, match=r"hops\[1\]: a Balancer hop cannot run inside a Balancer flash loan"):
        encode(Route(Capital.BALANCER, LENDER, T, 1, 0, 0, (Hop(P1, U, False, True), BAL_T)))
    with pytest.raises(RouteError, match=r"hops\[0\]: a Balancer hop cannot run inside a Balancer flash loan"):
        encode(Route(Capital.BALANCER, LENDER, T, 1, 0, 0, (BAL, back)))
    with pytest.raises(RouteError, match=r"hops\[0\]: LAST_HOP capital needs this hop to be a V2 pair"):
        encode(Route(Capital.LAST_HOP, ZERO, T, 1, 0, 0, (BAL, back)))
    with pytest.raises(RouteError, match=r"hops\[0\]: FIRST_HOP capital needs this hop to be a V2 pair"):
        encode(Route(Capital.FIRST_HOP, ZERO, T, 1, 0, 0, (BAL, back)))
    # FIRST_HOP with the Balancer hop second is fine.
    encode(Route(Capital.FIRST_HOP, ZERO, T, 1, 0, 0, (Hop(P1, U, False, True), BAL_T)))
    with pytest.raises(RouteError, match=r"lender: .* is also hops\[0\].pool"):
        encode(Route(Capital.V2_FLASH, VAULT, T, 1, 0, 0, (BAL, back)))


def test_balancer_field_errors_are_one_line() -> None:
    back = Hop(P2, T, False, False)
    cases = [
        (Hop(VAULT, U, False, True, balancer=True, pool_id="0x12"), r"hops\[0\].pool_id: not a 32-byte id .*'0x12'"),
        (Hop(VAULT, U, False, True, balancer=True, pool_id="0x" + "zz" * 32), r"hops\[0\].pool_id: not a 32-byte"),
        (Hop(VAULT, U, False, True, balancer=True), r"hops\[0\].pool_id: not a 32-byte id .*''"),
        (Hop(ZERO, U, False, True, balancer=True, pool_id=POOL_ID), r"hops\[0\].pool: a Balancer hop needs the Vault"),
        (Hop("vault", U, False, True, balancer=True, pool_id=POOL_ID), r"hops\[0\].pool: not an address: 'vault'"),
        (Hop(VAULT, T, False, True, balancer=True, pool_id=POOL_ID), r"hops\[0\].token_out: .* is also the hop's"),
        (Hop(VAULT, U, True, True, balancer=True, pool_id=POOL_ID), r"hops\[0\]: a Balancer hop is not also V3"),
        (Hop(VAULT, U, False, True, v4=True, balancer=True, pool_id=POOL_ID, v4_fee=1, tick_spacing=1),
         r"hops\[0\]: a Balancer hop is not also V3, V4"),
    ]  # fmt: skip
    for hop, message in cases:
        with pytest.raises(RouteError, match=message) as err:
            encode(Route(Capital.OWN, ZERO, T, 1, 0, 0, (hop, back)))
        assert "\n" not in str(err.value)


def test_hop_for_a_balancer_pair_view_is_a_vault_swap_on_its_pool_id() -> None:
    a, b, c = (to_checksum_address("0x" + k * 20) for k in ("0a", "0b", "0c"))
    one = 10**18
    model = BalancerWeightedPool(
        "0x" + "99" * 20, POOL_ID.upper().replace("0X", "0x"), VAULT, (a, b, c), [10**21, 3 * 10**24, 10**21],
        (one // 3, one // 3, one - 2 * (one // 3)), (one, one, one), 3 * 10**15,
    )  # fmt: skip
    view = BalancerPairView(model, 1, 2)
    forward, backward = hop_for(view, True), hop_for(view, False)
    assert forward == Hop(VAULT, c, False, True, balancer=True, pool_id=POOL_ID.lower())
    assert backward == Hop(VAULT, b, False, False, balancer=True, pool_id=POOL_ID.lower())
    route = Route(Capital.OWN, ZERO, b, 10**18, 0, 0, (forward, Hop(P2, b, False, True)))
    assert decode(encode(route)) == route
