"""Meteora DLMM: the decoders against the packers, and the exact-input quote against the real `lb_clmm` 0.10.1
binary (vendor/solana-programs/dlmm.so, hash-checked) executing `swap` in LiteSVM: every quoted output equals what
the program paid, to the unit; where the quote refuses, the program refuses too."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, QuoteError
from arbbot.solana.layouts.meteora_dlmm import (
    BIN_ARRAY_LEN,
    LB_PAIR_LEN,
    decode_bin_array,
    decode_bitmap_extension,
    decode_lb_pair,
    decode_oracle,
)
from arbbot.solana.programs import METEORA_DLMM, TOKEN_PROGRAM
from arbbot.solana.quote.meteora_dlmm import (
    ONE,
    bin_arrays_for_swap,
    next_bin_array_with_liquidity,
    pow_q64,
    price_from_id,
    swap_exact_in,
)
from arbbot.solana.testing.meteora_dlmm_accounts import (
    BinArrayFields,
    BinFields,
    LbPairFields,
    bitmap_with,
    pack_bin_array,
    pack_bitmap_extension,
    pack_lb_pair,
    pack_oracle,
)
from arbbot.solana.testing.meteora_dlmm_world import DlmmWorld

K = [Pubkey.new_unique() for _ in range(8)]
T0 = 1_700_000_000


def test_lb_pair_round_trips_every_field() -> None:
    f = LbPairFields(
        K[0], K[1], K[2], K[3], K[4], active_id=-1234, bin_step=80, base_factor=7, filter_period=11, decay_period=22,
        reduction_factor=33, variable_fee_control=44, max_volatility_accumulator=55, min_bin_id=-66, max_bin_id=77,
        protocol_share=88, base_fee_power_factor=2, volatility_accumulator=99, volatility_reference=111,
        index_reference=-222, last_update_timestamp=333, pair_type=3, status=1, activation_type=1,
        protocol_fee_x=444, protocol_fee_y=555, bin_array_bitmap=bitmap_with([-512, 0, 511]), activation_point=666,
        pre_activation_swap_address=K[5], token_mint_x_program_flag=1, token_mint_y_program_flag=0,
    )  # fmt: skip
    data = pack_lb_pair(f)
    assert len(data) == LB_PAIR_LEN
    s = decode_lb_pair(data, owner=METEORA_DLMM)
    p, v = s.parameters, s.v_parameters
    assert (p.base_factor, p.filter_period, p.decay_period, p.reduction_factor) == (7, 11, 22, 33)
    assert (p.variable_fee_control, p.max_volatility_accumulator, p.min_bin_id, p.max_bin_id) == (44, 55, -66, 77)
    assert (p.protocol_share, p.base_fee_power_factor) == (88, 2)
    assert (v.volatility_accumulator, v.volatility_reference, v.index_reference, v.last_update_timestamp) == (
        99, 111, -222, 333)  # fmt: skip
    assert (s.active_id, s.bin_step, s.pair_type, s.status, s.activation_type) == (-1234, 80, 3, 1, 1)
    assert (s.token_x_mint, s.token_y_mint, s.reserve_x, s.reserve_y, s.oracle) == tuple(K[:5])
    assert (s.protocol_fee_x, s.protocol_fee_y, s.activation_point) == (444, 555, 666)
    assert s.bin_array_bitmap == 1 | 1 << 512 | 1 << 1023
    assert s.pre_activation_swap_address == K[5]
    assert (s.token_mint_x_program_flag, s.token_mint_y_program_flag) == (1, 0)


def test_bin_array_extension_and_oracle_round_trip() -> None:
    data = pack_bin_array(BinArrayFields(-3, K[0], {0: BinFields(1, 2, 3, 4), 69: BinFields(5, 6, 7, 8)}))
    assert len(data) == BIN_ARRAY_LEN
    a = decode_bin_array(data, owner=METEORA_DLMM)
    assert (a.index, a.lb_pair, a.bins[0], a.bins[69].amount_y, a.bins[1].amount_x) == (
        -3, K[0], type(a.bins[0])(1, 2, 3, 4), 6, 0)  # fmt: skip
    pos = [0] * 12
    pos[1] = 1 << 5
    e = decode_bitmap_extension(pack_bitmap_extension(K[1], positive=pos), owner=METEORA_DLMM)
    assert e.lb_pair == K[1] and e.positive[1] == 32 and e.negative == (0,) * 12
    o = decode_oracle(pack_oracle(length=3, idx=2, active_size=1), owner=METEORA_DLMM)
    assert (o.idx, o.active_size, o.length) == (2, 1, 3)


@pytest.mark.parametrize(
    ("decode", "data", "owner", "match"),
    [
        (decode_lb_pair, b"\0" * LB_PAIR_LEN, METEORA_DLMM, "discriminator is 0000000000000000"),
        (decode_lb_pair, pack_lb_pair(LbPairFields(*K[:5], active_id=0, bin_step=1))[:-1], METEORA_DLMM, "903 bytes"),
        (
            decode_lb_pair,
            pack_lb_pair(LbPairFields(*K[:5], active_id=0, bin_step=1)),
            TOKEN_PROGRAM,
            "owner is Tokenkeg",
        ),
        (decode_bin_array, pack_lb_pair(LbPairFields(*K[:5], active_id=0, bin_step=1)), METEORA_DLMM, "904 bytes"),
        (decode_bin_array, b"\1" * BIN_ARRAY_LEN, METEORA_DLMM, "discriminator"),
        (decode_oracle, pack_oracle(length=3)[:-1], METEORA_DLMM, "Oracle .* 127 bytes"),
        (decode_oracle, b"\0" * 10, METEORA_DLMM, "shorter than its 32-byte header"),
    ],
)
def test_decoders_fail_closed(decode, data: bytes, owner: Pubkey, match: str) -> None:
    with pytest.raises(AccountLayoutError, match=match):
        decode(data, K[7], owner)


def test_price_is_the_q64_power_of_the_bin_step() -> None:
    assert price_from_id(0, 25) == ONE
    # 1.0025^1 in Q64.64, with the program's inversion trick (u128::MAX // (u128::MAX // base)).
    base = ONE + (25 << 64) // 10_000
    assert price_from_id(1, 25) == (2**128 - 1) // ((2**128 - 1) // base)
    # prices move monotonically with the bin id and their reciprocal is the mirrored id
    assert price_from_id(-100, 10) < price_from_id(-99, 10) < ONE < price_from_id(99, 10)
    assert abs(price_from_id(-500, 10) * price_from_id(500, 10) - ONE * ONE) < ONE * ONE // 10**12
    assert pow_q64(base, 0x80000) is None


def test_bitmap_walk_needs_the_extension_beyond_512_arrays() -> None:
    pair = decode_lb_pair(
        pack_lb_pair(LbPairFields(*K[:5], active_id=0, bin_step=1, bin_array_bitmap=bitmap_with([-2, 3]))),
        owner=METEORA_DLMM,
    )
    assert next_bin_array_with_liquidity(pair, None, 0, False) == 3
    assert next_bin_array_with_liquidity(pair, None, 0, True) == -2
    assert next_bin_array_with_liquidity(pair, None, -3, True) is None
    with pytest.raises(QuoteError, match="bitmap extension was not supplied"):
        next_bin_array_with_liquidity(pair, None, 600, True)
    pos = [0] * 12
    pos[0] = 1 << 88  # array 600
    ext = decode_bitmap_extension(pack_bitmap_extension(K[0], positive=pos), owner=METEORA_DLMM)
    assert next_bin_array_with_liquidity(pair, ext, 4, False) == 600
    assert bin_arrays_for_swap(pair, False, 3, ext) == [3, 600]


# ---- against the program ------------------------------------------------------------------------------------------


def _world(bin_step: int, active_id: int, width: int, x: int, y: int, gap: int = 0, **params: int) -> DlmmWorld:
    """Y in the bins at and below the active id, X at and above, `width` bins each way; `gap` empty bins (no
    liquidity at all) after the first 3 on each side."""
    bins = {}
    for d in range(width):
        if 3 <= d < 3 + gap:
            continue
        bins[active_id - d] = (x if d == 0 else 0, y)
        bins[active_id + d] = (x, y if d == 0 else 0)
    return DlmmWorld(bin_step=bin_step, active_id=active_id, bins=bins, params=params)


def _check(w: DlmmWorld, amount: int, swap_for_y: bool, t: int) -> int | None:
    """Quote, then run the program; assert they agree (equal outputs, or both refuse). The paid amount or None."""
    w.set_clock(t)
    pair = w.pair()
    ext = w.bitmap_extension()
    arrays = bin_arrays_for_swap(pair, swap_for_y, 4, ext)
    try:
        q = swap_exact_in(pair, w.bin_arrays(), amount, swap_for_y, timestamp=t, slot=1000, bitmap_extension=ext)
    except QuoteError:
        q = None
    got, logs = w.swap(amount, swap_for_y, arrays)
    if q is None:
        assert got is None, f"quote refused {amount} but the program paid {got}"
        return None
    assert got == q.amount_out, f"quote {q} vs program {got}: {logs[-600:]}"
    after = w.pair()
    assert after.active_id == q.end_bin_id
    assert after.v_parameters.volatility_accumulator == q.volatility_accumulator
    assert after.v_parameters.index_reference == q.index_reference
    assert after.protocol_fee_x + after.protocol_fee_y - pair.protocol_fee_x - pair.protocol_fee_y == q.protocol_fee
    return got


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    bin_step=st.sampled_from([1, 10, 25, 80, 100, 250]),
    active_id=st.integers(-300, 300),
    x=st.integers(1, 10**12),
    y=st.integers(1, 10**12),
    gap=st.sampled_from([0, 0, 80]),
    swap_for_y=st.booleans(),
    fraction=st.floats(0.0, 1.3),
    tiny=st.integers(1, 50),
    base_factor=st.integers(1, 20_000),
    power=st.sampled_from([0, 0, 1]),
    protocol_share=st.integers(0, 2_500),
)
def test_quote_equals_program_output(
    bin_step: int, active_id: int, x: int, y: int, gap: int, swap_for_y: bool, fraction: float, tiny: int,
    base_factor: int, power: int, protocol_share: int,
) -> None:  # fmt: skip
    """Random pools and sizes, both directions, one swap to bin-crossing depth (across arrays when the book is
    deep enough or gapped), a tiny one, then a second swap later to exercise the variable fee of the first."""
    width = 12
    w = _world(bin_step, active_id, width, x, y, gap, base_factor=base_factor, base_fee_power_factor=power,
               protocol_share=protocol_share)  # fmt: skip
    pair = w.pair()
    # the input that would roughly empty `fraction` of the book on the output side (can exceed it: then the
    # program and the quote must both refuse)
    book = (y if swap_for_y else x) * width
    price = price_from_id(active_id, bin_step)
    value = book * ONE // price if swap_for_y else book * price // ONE
    amount = max(1, min(int(value * fraction), 2**64 - 1))
    assert pair.active_id == active_id
    _check(w, amount, swap_for_y, T0)
    _check(w, tiny, swap_for_y, T0 + 1)
    _check(w, max(1, amount // 3), not swap_for_y, T0 + 5)


def test_crossing_bins_and_bin_arrays_both_ways() -> None:
    w = _world(10, 65, 80, 5_000, 7_000)  # array 0 holds bins 0..69: the book spans arrays -1 to 2
    paid = _check(w, 100_000, False, T0)  # buys ~20 bins of X upward: crosses into array 1
    assert paid is not None and w.pair().active_id >= 70
    paid = _check(w, 560_000, True, T0 + 100)  # back down across array 0 into array -1
    assert paid is not None and w.pair().active_id < 0


@pytest.mark.parametrize(
    ("active_id", "x_in", "y_in"),
    [(512 * 70 + 2, 3_000, 2_000_000), (-513 * 70 + 66, 1_000_000, 30_000)],  # prices ~36 and ~1/36
)
def test_crossing_between_the_pair_bitmap_and_the_bitmap_extension(active_id: int, x_in: int, y_in: int) -> None:
    """Bin arrays beyond +-512 are found through the bitmap extension account, as the program finds them."""
    w = _world(1, active_id, 80, 3_000, 3_000)
    assert w.extension is not None
    edge = 512 * 70 if active_id > 0 else -512 * 70  # lowest bin of the first array above the boundary
    assert _check(w, x_in, True, T0) is not None  # down
    down = w.pair().active_id
    assert _check(w, y_in, False, T0 + 50) is not None  # up
    up = w.pair().active_id
    # the positive book crosses from the extension into the pair's bitmap going down and back going up; the
    # negative one crosses from the extension into the pair's bitmap going up
    assert (down < edge <= up) if active_id > 0 else (down < edge <= up and active_id < edge)
    # without the extension the quote cannot walk there and says so
    with pytest.raises(QuoteError, match="bitmap extension was not supplied"):
        swap_exact_in(w.pair(), w.bin_arrays(), 10**9, True, timestamp=T0 + 60, slot=1000)


def test_variable_fee_after_a_previous_swap() -> None:
    w = _world(25, 0, 30, 10**9, 10**9, variable_fee_control=500_000)
    _check(w, 5 * 10**9, True, T0)
    moved = w.pair()
    assert moved.v_parameters.volatility_accumulator > 0
    # within the filter period (30 s) the reference is kept: the fee keeps growing with the distance moved
    out_fast = _check(w, 10**8, False, T0 + 10)
    assert out_fast is not None
    # after the decay period the reference resets
    out_late = _check(w, 10**8, False, T0 + 10_000)
    assert out_late is not None and w.pair().v_parameters.volatility_reference == 0


def test_liquidity_exhausted_and_zero_output_fail_closed_like_the_program() -> None:
    w = _world(10, 5, 5, 1_000, 1_000)
    assert _check(w, 10**12, True, T0) is None
    assert _check(w, 1, True, T0) is None  # pays 0: the program refuses (InsufficientOutAmount)
    with pytest.raises(QuoteError, match="liquidity runs out"):
        swap_exact_in(w.pair(), w.bin_arrays(), 10**12, False, timestamp=T0, slot=1000)
    with pytest.raises(QuoteError, match="bin array 0 is needed but was not supplied"):
        swap_exact_in(w.pair(), {}, 100, False, timestamp=T0, slot=1000)


def test_disabled_or_not_yet_active_pair_is_not_quoted() -> None:
    w = _world(10, 5, 5, 1_000, 1_000, status=1)
    assert _check(w, 100, True, T0) is None
    for pair_type in (1, 2):  # permission, customizable permissionless: closed before the activation point
        w = _world(10, 5, 5, 1_000, 1_000, pair_type=pair_type, activation_point=5_000)
        assert _check(w, 100, True, T0) is None  # slot 1000
        w = _world(10, 5, 5, 1_000, 1_000, pair_type=pair_type, activation_point=T0 + 1, activation_type=1)
        assert _check(w, 100, True, T0) is None
        # (after activation these pairs sign with other seeds than the world's permissionless address, so the
        # swap itself is proven on permissionless pairs)
    # a plain permissionless pair ignores its activation point; an unknown pair type is not quoted
    assert _check(_world(10, 5, 5, 1_000, 1_000, activation_point=5_000), 100, True, T0) == 99
    assert _check(_world(10, 5, 5, 1_000, 1_000, pair_type=3), 100, True, T0) is None


def test_pool_hop_block_is_what_the_program_swaps_with_and_quote_matches() -> None:
    """The pool's hop block minus the leading program id is sent to the real program as the `swap` accounts:
    the program accepts that order and pays exactly the pool's quote, both directions."""
    from solders.compute_budget import set_compute_unit_limit
    from solders.instruction import Instruction
    from solders.message import Message
    from solders.transaction import Transaction
    from solders.transaction_metadata import FailedTransactionMetadata

    from arbbot.solana.pools.meteora_dlmm import MeteoraDlmmPool
    from arbbot.solana.testing.meteora_dlmm_world import swap_data

    w = _world(10, 66, 60, 8_000, 8_000)
    for i, (mint_in, amount) in enumerate([(w.mint_y, 60_000), (w.mint_x, 90_000)]):
        t = T0 + 100 * i
        w.set_clock(t)
        pool = MeteoraDlmmPool(w.lb_pair, METEORA_DLMM, w.mint_x, w.mint_y, state=w.pair(), bin_arrays=w.bin_arrays(),
                               timestamp=t, slot=1000)  # fmt: skip
        quoted = pool.quote(mint_in, amount)
        x_in = mint_in == w.mint_x
        user_in, user_out = (w.user_x, w.user_y) if x_in else (w.user_y, w.user_x)
        block = pool.hop_accounts(mint_in, w.user.pubkey(), user_in, user_out)
        assert block[0].pubkey == METEORA_DLMM and block[11].is_signer and len(block) >= 17
        ix = Instruction(block[0].pubkey, swap_data(amount), block[1:])
        before = w.balance(user_out)
        w.svm.expire_blockhash()
        msg = Message.new_with_blockhash(
            [set_compute_unit_limit(1_400_000), ix], w.user.pubkey(), w.svm.latest_blockhash()
        )
        res = w.svm.send_transaction(Transaction([w.user], msg, w.svm.latest_blockhash()))
        assert not isinstance(res, FailedTransactionMetadata), res
        assert w.balance(user_out) - before == quoted
