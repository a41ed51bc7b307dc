"""Raydium CPMM layouts, hop block and quote rules, and Token-2022 transfer-fee math, on their own.

The quote is proven against the real program in tests/integration/solana/test_raydium_cpmm_litesvm.py;
the committed build predates creator fees, so the creator-fee rules are pinned here by worked cases
computed by hand from the current program's curve/fees.rs.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, QuoteError
from arbbot.solana.layouts import token_2022 as t22
from arbbot.solana.layouts.raydium_cpmm import (
    AMM_CONFIG_LEN,
    POOL_STATE_LEN,
    CpmmAmmConfig,
    CpmmPoolState,
    decode_amm_config,
    decode_pool_state,
    pack_amm_config,
    pack_pool_state,
    vault_authority,
)
from arbbot.solana.pools.raydium_cpmm import RaydiumCpmmPool
from arbbot.solana.programs import RAYDIUM_CPMM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from arbbot.solana.quote.raydium_cpmm import swap_base_input
from arbbot.solana.quote.transfer_fee import (
    TransferFee,
    TransferFeeConfig,
    decode_transfer_fee_config,
    inverse_fee,
    mint_transfer_fee_config,
    post_fee_amount,
    pre_fee_amount,
    transfer_fee,
)
from arbbot.solana.venues import Venue

VECTORS = Path(__file__).resolve().parents[2] / "data" / "solana" / "ix_vectors.json"
U64_MAX = (1 << 64) - 1


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text())


def _state(**kw: Any) -> CpmmPoolState:
    keys = [Pubkey.new_unique() for _ in range(10)]
    base: dict[str, Any] = dict(
        auth_bump=vault_authority()[1],
        status=0,
        lp_mint_decimals=9,
        mint_0_decimals=6,
        mint_1_decimals=9,
        lp_supply=11,
        protocol_fees_token_0=12,
        protocol_fees_token_1=13,
        fund_fees_token_0=14,
        fund_fees_token_1=15,
        open_time=16,
        recent_epoch=17,
        creator_fee_on=2,
        enable_creator_fee=True,
        creator_fees_token_0=18,
        creator_fees_token_1=19,
    )
    base.update(kw)
    return CpmmPoolState(*keys, **base)


def test_pool_state_bytes_sit_at_the_program_offsets(vectors: dict[str, Any]) -> None:
    s = _state()
    data = pack_pool_state(s)
    fields = vectors["layouts"]["raydium_cpmm_pool_state"]
    assert fields["size"] == POOL_STATE_LEN == len(data)
    for name, f in fields["fields"].items():
        raw = data[f["offset"] : f["offset"] + f["size"]]
        if name.startswith("padding"):
            assert raw == bytes(f["size"])
            continue
        value = getattr(s, name)
        if isinstance(value, Pubkey):
            assert raw == bytes(value), name
        else:
            assert int.from_bytes(raw, "little") == int(value), name
    assert decode_pool_state(data, owner=RAYDIUM_CPMM) == s


def test_amm_config_bytes_sit_at_the_program_offsets(vectors: dict[str, Any]) -> None:
    c = CpmmAmmConfig(7, True, 3, 2_500, 120_000, 40_000, 10**8, Pubkey.new_unique(), Pubkey.new_unique(), 1_000)
    data = pack_amm_config(c)
    fields = vectors["layouts"]["raydium_cpmm_amm_config"]
    assert fields["size"] == AMM_CONFIG_LEN == len(data)
    for name, f in fields["fields"].items():
        raw = data[f["offset"] : f["offset"] + f["size"]]
        if name == "padding":
            assert raw == bytes(f["size"])
            continue
        value = getattr(c, name)
        assert raw == (bytes(value) if isinstance(value, Pubkey) else int(value).to_bytes(f["size"], "little")), name
    assert decode_amm_config(data, owner=RAYDIUM_CPMM) == c


def test_decoders_fail_closed() -> None:
    good = pack_pool_state(_state())
    with pytest.raises(AccountLayoutError, match="data is 636 bytes, a CPMM pool state account is 637"):
        decode_pool_state(good[:-1])
    with pytest.raises(AccountLayoutError, match="discriminator is"):
        decode_pool_state(b"\1" + good[1:])
    with pytest.raises(AccountLayoutError, match="owner is"):
        decode_pool_state(good, owner=TOKEN_PROGRAM)
    with pytest.raises(AccountLayoutError, match="enable_creator_fee byte is 2"):
        decode_pool_state(good[:390] + b"\2" + good[391:])
    with pytest.raises(AccountLayoutError, match="creator_fee_on is 3"):
        decode_pool_state(pack_pool_state(_state(creator_fee_on=3)))
    cfg = pack_amm_config(CpmmAmmConfig(0, False, 0, 1, 0, 0, 0, Pubkey.default(), Pubkey.default()))
    with pytest.raises(AccountLayoutError, match="CPMM amm config"):
        decode_amm_config(cfg + b"\0")
    with pytest.raises(AccountLayoutError, match="discriminator"):
        decode_amm_config(bytes(8) + cfg[8:])


def _pool(state: CpmmPoolState | None = None, cfg: CpmmAmmConfig | None = None, **kw: Any) -> RaydiumCpmmPool:
    s = state or _state(creator_fee_on=0, enable_creator_fee=False)
    c = cfg or CpmmAmmConfig(0, False, 0, 2_500, 120_000, 40_000, 0, Pubkey.default(), Pubkey.default())
    args: dict[str, Any] = dict(vault_0_amount=10**9 + s.owed(0), vault_1_amount=10**9 + s.owed(1))
    args.update(kw)
    return RaydiumCpmmPool(Pubkey.new_unique(), RAYDIUM_CPMM, s.token_0_mint, s.token_1_mint, state=s, config=c, **args)


def test_hop_block_is_the_program_block(vectors: dict[str, Any]) -> None:
    spec = vectors["hop_blocks"]["RaydiumCpmm"]
    p = spec["positions"]
    pool = _pool()
    assert pool.venue == Venue.RAYDIUM_CPMM and Venue.RAYDIUM_CPMM.value == 3
    assert spec["program_ids"] == [str(RAYDIUM_CPMM)]
    s = pool.state
    owner, user_in, user_out = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    for mint_in, side_in, side_out in (
        (
            s.token_0_mint,
            (s.token_0_vault, s.token_0_program, s.token_0_mint),
            (s.token_1_vault, s.token_1_program, s.token_1_mint),
        ),
        (
            s.token_1_mint,
            (s.token_1_vault, s.token_1_program, s.token_1_mint),
            (s.token_0_vault, s.token_0_program, s.token_0_mint),
        ),
    ):
        block = pool.hop_accounts(mint_in, owner, user_in, user_out)
        assert len(block) in spec["num_accounts"]
        assert [i for i, m in enumerate(block) if m.is_writable] == spec["writable"]
        assert [i for i, m in enumerate(block) if m.is_signer] == [spec["signer"]]
        keys = [m.pubkey for m in block]
        assert keys[p["program"]] == RAYDIUM_CPMM and keys[p["payer"]] == owner
        assert keys[p["authority"]] == vault_authority()[0]
        assert (keys[p["amm_config"]], keys[p["pool_state"]], keys[p["observation_state"]]) == (
            s.amm_config,
            pool.address,
            s.observation_key,
        )
        assert (keys[p["input_token_account"]], keys[p["output_token_account"]]) == (user_in, user_out)
        assert (keys[p["input_vault"]], keys[p["input_token_program"]], keys[p["input_token_mint"]]) == side_in
        assert (keys[p["output_vault"]], keys[p["output_token_program"]], keys[p["output_token_mint"]]) == side_out


def test_swap_instruction_data_matches_the_program(vectors: dict[str, Any]) -> None:
    v = next(x for x in vectors["venue_instructions"] if x["venue"] == "RaydiumCpmm")
    from arbbot.solana.programs import anchor_instruction_discriminator

    data = anchor_instruction_discriminator("swap_base_input") + struct.pack("<QQ", v["amount_in"], 0)
    assert data.hex() == v["data_hex"]


def test_creator_fee_rules_worked_cases() -> None:
    # On the input: total = ceil(1e6 · 3500 / 1e6) = 3500, creator floor(3500 · 1000 / 3500) = 1000.
    r = swap_base_input(10**6, 10**9, 10**9, 2_500, 120_000, 40_000, 1_000, True)
    assert (r.output_amount, r.trade_fee, r.creator_fee, r.protocol_fee, r.fund_fee) == (
        995_507,
        2_500,
        1_000,
        300,
        100,
    )
    # On the output: 996 505 swapped, creator ceil(996 505 / 1000) = 997 cut from it.
    r = swap_base_input(10**6, 10**9, 10**9, 2_500, 120_000, 40_000, 1_000, False)
    assert (r.output_amount, r.trade_fee, r.creator_fee) == (995_508, 2_500, 997)
    # Tiny input: the 1-unit total fee rounds up and the creator's share rounds down to 0.
    r = swap_base_input(3, 10**9, 10**9, 1, 0, 0, 1, True)
    assert (r.output_amount, r.trade_fee, r.creator_fee) == (1, 1, 0)
    with pytest.raises(QuoteError, match="both 0"):
        swap_base_input(10, 10**9, 10**9, 0, 0, 0, 0, True)
    # Creator fee on the output side divides by nothing: a zero-fee pool swaps there.
    assert swap_base_input(10, 10**9, 10**9, 0, 0, 0, 0, False).output_amount == 9


def test_pool_reads_its_creator_fee_mode_and_status() -> None:
    cfg = CpmmAmmConfig(0, False, 0, 2_500, 120_000, 40_000, 0, Pubkey.default(), Pubkey.default(), 1_000)
    on_token_1 = _pool(_state(creator_fee_on=2, enable_creator_fee=True), cfg)
    reserves = on_token_1.reserves()
    assert reserves == (10**9, 10**9)
    # Token 0 in: creator fee on token 1 = the output; token 1 in: on the input.
    assert on_token_1.quote(on_token_1.mint_a, 10**6) == 995_508
    assert on_token_1.quote(on_token_1.mint_b, 10**6) == 995_507
    # The creator fee rate only applies where the pool enables it.
    off = _pool(_state(creator_fee_on=2, enable_creator_fee=False), cfg)
    assert off.quote(off.mint_a, 10**6) == 996_505  # (1e6 - 2 500) · 1e9 / (1e9 + 1e6 - 2 500)

    def quote(pool: RaydiumCpmmPool, amount: int) -> int:
        return pool.quote(pool.mint_a, amount)

    with pytest.raises(QuoteError, match="disables swaps"):
        quote(_pool(_state(status=4)), 10)
    assert quote(_pool(_state(status=3, creator_fee_on=0)), 10**3) == 996  # deposit/withdraw bits only
    with pytest.raises(QuoteError, match="opens at 16, now 15"):
        quote(_pool(unix_time=15), 10)
    assert quote(_pool(unix_time=16), 10**3) == 996
    with pytest.raises(QuoteError, match="owed fees exceed"):
        quote(_pool(vault_0_amount=1), 10)
    with pytest.raises(QuoteError, match="overflows u64"):
        quote(_pool(vault_0_amount=U64_MAX), 10)


fees = st.builds(TransferFee, st.integers(0, 10), st.integers(0, U64_MAX), st.integers(0, 10_000))


@given(fee=fees, amount=st.integers(0, U64_MAX))
def test_transfer_fee_is_the_capped_ceiling(fee: TransferFee, amount: int) -> None:
    got = transfer_fee(fee, amount)
    raw = -(-amount * fee.basis_points // 10_000)
    assert got == (0 if fee.basis_points == 0 or amount == 0 else min(raw, fee.maximum_fee))
    assert post_fee_amount(fee, amount) == amount - got >= 0


@given(fee=fees, post=st.integers(0, U64_MAX // 2))
@example(fee=TransferFee(0, 1, 10_000), post=0)
def test_pre_fee_amount_is_the_smallest_transfer_delivering_post(fee: TransferFee, post: int) -> None:
    try:
        pre = pre_fee_amount(fee, post)
    except QuoteError:
        assert post + fee.maximum_fee > U64_MAX or fee.basis_points == 10_000
        return
    if post == 0:
        assert pre == 0  # spl-token-2022: nothing out, nothing in, whatever the fee
        return
    if fee.basis_points == 10_000:
        assert pre == post + fee.maximum_fee  # spl-token-2022: 100 % is capped at the maximum fee
        return
    assert post_fee_amount(fee, pre) == post
    assert pre == 0 or post_fee_amount(fee, pre - 1) < post
    assert inverse_fee(fee, post) == transfer_fee(fee, pre)


def test_transfer_fee_config_decodes_and_picks_the_epoch() -> None:
    older, newer = TransferFee(0, 10, 50), TransferFee(8, 99, 250)
    authority = Pubkey.new_unique()
    cfg = TransferFeeConfig(authority, None, 5, older, newer)
    mint = t22.pack_mint_2022(None, 1, 6, [(t22.METADATA_POINTER, bytes(64)), (t22.TRANSFER_FEE_CONFIG, cfg.pack())])
    assert mint_transfer_fee_config(mint) == cfg
    assert (cfg.fee_for_epoch(7), cfg.fee_for_epoch(8), cfg.fee_for_epoch(9)) == (older, newer, newer)
    assert mint_transfer_fee_config(t22.pack_mint_2022(None, 1, 6)) is None
    assert mint_transfer_fee_config(t22.pack_mint_2022(None, 1, 6, [(t22.METADATA_POINTER, bytes(64))])) is None
    bad = bytearray(cfg.pack())
    bad[88:90] = (10_001).to_bytes(2, "little")
    with pytest.raises(AccountLayoutError, match="basis points 10001 exceed 10000"):
        decode_transfer_fee_config(bytes(bad))
    with pytest.raises(AccountLayoutError, match="107 bytes"):
        decode_transfer_fee_config(cfg.pack()[:-1])
    with pytest.raises(AccountLayoutError, match="appears twice"):
        mint_transfer_fee_config(t22.pack_mint_2022(None, 1, 6, [(1, cfg.pack()), (1, cfg.pack())]))
    with pytest.raises(AccountLayoutError, match="past the data"):
        mint_transfer_fee_config(t22.pack_mint_2022(None, 1, 6, [(1, cfg.pack())])[:-1])
    account = t22.pack_account_2022(Pubkey.new_unique(), Pubkey.new_unique(), 5, True, withheld=3)
    with pytest.raises(AccountLayoutError, match="account type byte is 2, expected 1"):
        t22.decode_mint_2022(account[:45] + b"\1" + account[46:])
    with pytest.raises(AccountLayoutError, match="owner is"):
        t22.decode_mint_2022(mint, owner=TOKEN_PROGRAM)
    assert t22.decode_mint_2022(mint, owner=TOKEN_2022_PROGRAM).decimals == 6
    assert (t22.account_amount(account), t22.account_withheld(account)) == (5, 3)
