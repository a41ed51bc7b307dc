"""The bytes anchorpy encodes from the committed IDL are the bytes the Rust program decodes.

`tests/data/solana/ix_vectors.json` is written by the program's own test (ix_vectors.rs) from its
argument types; this test encodes the same arguments through the converted IDL with anchorpy, and
checks the hop account blocks and byte layouts the searcher builds against the program's constants.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from arbbot.solana.idl import ARB_EXECUTOR_IDL, load_legacy_idl
from arbbot.solana.instruction import ArbExecutor, HopArgs
from arbbot.solana.layouts.openbook import MarketState
from arbbot.solana.layouts.whirlpool import decode_whirlpool
from arbbot.solana.programs import (
    MARKET_PROGRAMS,
    MEMO_PROGRAM,
    ORCA_WHIRLPOOL,
    RAYDIUM_AMM_V4,
    SPL_TOKEN_SWAP,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    TOKEN_SWAP_PROGRAMS,
)
from arbbot.solana.testing.accounts import (
    RaydiumFields,
    TokenSwapFields,
    WhirlpoolFields,
    pack_raydium,
    pack_token_account,
    pack_token_swap,
    pack_whirlpool,
)
from arbbot.solana.venues import Venue, WhirlpoolPool
from tests.unit.solana._pools import raydium_pool, token_swap_pool

pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")

VECTORS = Path(__file__).resolve().parents[2] / "data" / "solana" / "ix_vectors.json"
VENUES = {
    "SplTokenSwap": Venue.SPL_TOKEN_SWAP,
    "RaydiumAmmV4": Venue.RAYDIUM_AMM_V4,
    "OrcaWhirlpool": Venue.ORCA_WHIRLPOOL,
}


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text())


@pytest.fixture(scope="module")
def program() -> ArbExecutor:
    return ArbExecutor.load()


def test_program_id_and_discriminator(vectors: dict[str, Any], program: ArbExecutor) -> None:
    assert str(program.program_id) == vectors["program_id"]
    assert vectors["instruction"] == "execute_route"
    assert json.loads(ARB_EXECUTOR_IDL.read_text())["instructions"][0]["discriminator"] == list(
        bytes.fromhex(vectors["discriminator_hex"])
    )


def test_anchorpy_encodes_every_vector_exactly(vectors: dict[str, Any], program: ArbExecutor) -> None:
    assert len(vectors["routes"]) >= 4
    for route in vectors["routes"]:
        args = route["args"]
        hops = [HopArgs(VENUES[h["venue"]], h["num_accounts"], h["a_to_b"]) for h in args["hops"]]
        assert [h.venue.value for h in hops] == [h["venue_index"] for h in args["hops"]]
        data = program.encode_data(args["amount_in"], args["min_profit"], hops)
        assert data.hex() == route["data_hex"], route["name"]


def test_named_accounts_match(vectors: dict[str, Any]) -> None:
    idl = load_legacy_idl()
    (ix,) = [i for i in idl.instructions if i.name == "execute_route"]
    got = [{"name": a.name, "signer": a.is_signer, "writable": a.is_mut} for a in ix.accounts]
    assert got == vectors["named_accounts"]


def test_event_decodes_to_the_program_fields(vectors: dict[str, Any], program: ArbExecutor) -> None:
    ev = vectors["event"]
    data = bytes.fromhex(ev["data_hex"])
    decoded = program.program.coder.events.parse(data)
    assert decoded is not None and decoded.name == ev["name"]
    fields = ev["fields"]
    assert str(decoded.data.authority) == fields["authority"] and str(decoded.data.mint) == fields["mint"]
    assert (decoded.data.amount_in, decoded.data.amount_out, decoded.data.profit) == (
        fields["amount_in"], fields["amount_out"], fields["profit"],
    )  # fmt: skip
    assert [str(p) for p in decoded.data.pools] == fields["pools"]


def _market() -> MarketState:
    k = [Pubkey.new_unique() for _ in range(7)]
    nonce = 0
    while True:
        try:
            Pubkey.create_program_address([bytes(k[0]), nonce.to_bytes(8, "little")], k[1])
            break
        except Exception:
            nonce += 1
    return MarketState(k[0], k[1], nonce, *k[2:4], *k[4:6], k[6], Pubkey.new_unique(), Pubkey.new_unique())


def test_venue_programs_are_the_ones_the_program_pins(vectors: dict[str, Any]) -> None:
    blocks = vectors["hop_blocks"]
    assert blocks["SplTokenSwap"]["program_ids"] == [str(p) for p in TOKEN_SWAP_PROGRAMS]
    assert blocks["RaydiumAmmV4"]["program_ids"] == [str(RAYDIUM_AMM_V4)]
    assert blocks["RaydiumAmmV4"]["market_program_ids"] == [str(p) for p in MARKET_PROGRAMS]
    assert blocks["OrcaWhirlpool"]["program_ids"] == [str(ORCA_WHIRLPOOL)]


def _flags(metas: list[AccountMeta]) -> tuple[set[int], set[int]]:
    return {i for i, m in enumerate(metas) if m.is_writable}, {i for i, m in enumerate(metas) if m.is_signer}


def test_hop_block_flags_are_what_each_venue_interface_takes(vectors: dict[str, Any]) -> None:
    """The program passes a venue only the writable accounts its interface writes, and the authority as a
    read-only signer; the client's blocks ask for exactly that (more would be dropped, less would fail)."""
    blocks = vectors["hop_blocks"]
    a, b = Pubkey.new_unique(), Pubkey.new_unique()
    owner, user_a, user_b = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    spec = blocks["SplTokenSwap"]
    metas = token_swap_pool(a, b, 10**9, 10**9).hop_accounts(a, owner, user_a, user_b)
    assert _flags(metas) == ({i for i in spec["writable"] if i < len(metas)}, {spec["signer"]})
    ray = raydium_pool(a, b, 10**9, 10**9)
    ray.market = _market()
    metas = ray.hop_accounts(a, owner, user_a, user_b)
    assert _flags(metas) == (set(blocks["RaydiumAmmV4"]["writable"][str(len(metas))]), {len(metas) - 1})
    k = [Pubkey.new_unique() for _ in range(4)]
    wp_state = decode_whirlpool(pack_whirlpool(WhirlpoolFields(a, k[0], b, k[1], 1 << 64, 0, 10**9)))
    metas = WhirlpoolPool(k[2], ORCA_WHIRLPOOL, a, b, state=wp_state).hop_accounts(b, owner, user_b, user_a)
    spec = blocks["OrcaWhirlpool"]
    assert _flags(metas) == (set(spec["writable"]), {spec["signer"]})


def test_hop_blocks_match_the_program_positions(vectors: dict[str, Any]) -> None:
    blocks = vectors["hop_blocks"]
    a, b = Pubkey.new_unique(), Pubkey.new_unique()
    owner, user_a, user_b = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()

    ts = token_swap_pool(a, b, 10**9, 10**9)
    block = [m.pubkey for m in ts.hop_accounts(a, owner, user_a, user_b)]
    pos = blocks["SplTokenSwap"]["positions"]
    assert len(block) in blocks["SplTokenSwap"]["num_accounts"]
    expected = {
        "program": SPL_TOKEN_SWAP,
        "pool": ts.address,
        "pool_authority": ts.authority,
        "user_transfer_authority": owner,
        "source": user_a,
        "pool_source": ts.state.token_a,
        "pool_destination": ts.state.token_b,
        "destination": user_b,
        "pool_mint": ts.state.pool_mint,
        "pool_fee_account": ts.state.pool_fee_account,
        "token_program": TOKEN_PROGRAM,
    }
    assert {role: block[i] for role, i in pos.items() if i < len(block)} == expected

    ray = raydium_pool(a, b, 10**9, 10**9)
    ray.market = _market()
    block = [m.pubkey for m in ray.hop_accounts(b, owner, user_b, user_a)]
    spec = blocks["RaydiumAmmV4"]
    assert len(block) in spec["num_accounts"] and str(RAYDIUM_AMM_V4) in spec["program_ids"]
    want = {
        "program": RAYDIUM_AMM_V4,
        "token_program": TOKEN_PROGRAM,
        "amm": ray.address,
        "amm_authority": ray.authority,
        "open_orders": ray.state.open_orders,
    }
    assert {role: block[i] for role, i in spec["positions"].items() if role in want} == want
    ends = spec["positions_from_end"]
    assert (block[-ends["source"]], block[-ends["destination"]], block[-ends["user_owner"]]) == (user_b, user_a, owner)

    k = [Pubkey.new_unique() for _ in range(4)]
    wp_state = decode_whirlpool(pack_whirlpool(WhirlpoolFields(a, k[0], b, k[1], 1 << 64, 0, 10**9)))
    wp = WhirlpoolPool(k[2], ORCA_WHIRLPOOL, a, b, state=wp_state)
    spec = blocks["OrcaWhirlpool"]
    for a_to_b, (src, dst) in ((True, (user_a, user_b)), (False, (user_b, user_a))):
        block = [m.pubkey for m in wp.hop_accounts(a if a_to_b else b, owner, src, dst)]
        assert len(block) in spec["num_accounts"] and str(ORCA_WHIRLPOOL) in spec["program_ids"]
        p = spec["positions"]
        assert (block[p["program"]], block[p["token_program"]], block[p["token_authority"]]) == (
            ORCA_WHIRLPOOL,
            TOKEN_PROGRAM,
            owner,
        )
        assert (block[p["whirlpool"]], block[p["token_vault_a"]], block[p["token_vault_b"]]) == (k[2], k[0], k[1])
        assert (block[p["token_owner_account_a"]], block[p["token_owner_account_b"]]) == (user_a, user_b)

    # The same pool with a Token-2022 mint B: the swap_v2 block, as the program's `orca_whirlpool_v2` reads it.
    v2 = WhirlpoolPool(k[2], ORCA_WHIRLPOOL, a, b, state=wp_state, token_program_b=TOKEN_2022_PROGRAM)
    assert v2.venue == Venue.ORCA_WHIRLPOOL_V2
    spec = blocks["OrcaWhirlpoolV2"]
    for a_to_b, (src, dst) in ((True, (user_a, user_b)), (False, (user_b, user_a))):
        metas = v2.hop_accounts(a if a_to_b else b, owner, src, dst)
        block = [m.pubkey for m in metas]
        assert len(block) in spec["num_accounts"] and str(ORCA_WHIRLPOOL) in spec["program_ids"]
        assert _flags(metas) == (set(spec["writable"]), {spec["signer"]})
        p = spec["positions"]
        want = {
            "program": ORCA_WHIRLPOOL, "token_program_a": TOKEN_PROGRAM, "token_program_b": TOKEN_2022_PROGRAM,
            "memo_program": MEMO_PROGRAM, "token_authority": owner, "whirlpool": k[2], "token_mint_a": a,
            "token_mint_b": b, "token_owner_account_a": user_a, "token_vault_a": k[0], "token_owner_account_b": user_b,
            "token_vault_b": k[1],
        }  # fmt: skip
        assert {role: block[p[role]] for role in want} == want


def _check_layout(layout: dict[str, Any], data: bytes, expected: dict[str, bytes]) -> None:
    assert len(data) == layout["size"]
    for name, value in expected.items():
        f = layout["fields"][name]
        assert f["size"] == len(value), name
        assert data[f["offset"] : f["offset"] + f["size"]] == value, name


def test_layouts_match_the_program_offsets(vectors: dict[str, Any]) -> None:
    layouts = vectors["layouts"]
    k = [Pubkey.new_unique() for _ in range(10)]
    acc = pack_token_account(k[0], k[1], 0x0102030405060708)
    _check_layout(
        layouts["spl_token_account"],
        acc,
        {
            "mint": bytes(k[0]),
            "owner": bytes(k[1]),
            "amount": (0x0102030405060708).to_bytes(8, "little"),
            "state": b"\x01",
        },
    )
    ts = pack_token_swap(TokenSwapFields(k[0], k[1], k[2], k[3], k[4], k[5], 251, curve_type=0))
    _check_layout(
        layouts["spl_token_swap"],
        ts,
        {
            "version": b"\x01",
            "bump_seed": bytes([251]),
            "token_a": bytes(k[0]),
            "token_b": bytes(k[1]),
            "pool_mint": bytes(k[4]),
            "token_a_mint": bytes(k[2]),
            "token_b_mint": bytes(k[3]),
            "pool_fee_account": bytes(k[5]),
            "token_program_id": bytes(TOKEN_PROGRAM),
        },
    )
    ray = pack_raydium(
        RaydiumFields(
            k[0],
            k[1],
            k[2],
            k[3],
            status=6,
            swap_fee=(25, 10_000),
            open_orders=k[4],
            market=k[5],
            market_program=k[6],
            target_orders=k[7],
            amm_owner=k[8],
            lp_mint=k[9],
        )
    )
    _check_layout(
        layouts["raydium_amm_v4"],
        ray,
        {
            "status": (6).to_bytes(8, "little"),
            "swap_fee_numerator": (25).to_bytes(8, "little"),
            "swap_fee_denominator": (10_000).to_bytes(8, "little"),
            "coin_vault": bytes(k[0]),
            "pc_vault": bytes(k[1]),
            "coin_vault_mint": bytes(k[2]),
            "pc_vault_mint": bytes(k[3]),
            "open_orders": bytes(k[4]),
            "market": bytes(k[5]),
            "market_program": bytes(k[6]),
            "target_orders": bytes(k[7]),
            "amm_owner": bytes(k[8]),
            "lp_mint": bytes(k[9]),
        },
    )
    wp = pack_whirlpool(
        WhirlpoolFields(
            k[0],
            k[1],
            k[2],
            k[3],
            sqrt_price=(1 << 64) + 9,
            tick_current_index=-3,
            liquidity=77,
            tick_spacing=8,
            fee_rate=3000,
            whirlpools_config=k[4],
        )
    )
    layout = layouts["orca_whirlpool"]
    assert wp[:8].hex() == layout["discriminator_hex"]
    _check_layout(
        layout,
        wp,
        {
            "whirlpools_config": bytes(k[4]),
            "tick_spacing": (8).to_bytes(2, "little"),
            "fee_rate": (3000).to_bytes(2, "little"),
            "liquidity": (77).to_bytes(16, "little"),
            "sqrt_price": ((1 << 64) + 9).to_bytes(16, "little"),
            "tick_current_index": (-3).to_bytes(4, "little", signed=True),
            "token_mint_a": bytes(k[0]),
            "token_vault_a": bytes(k[1]),
            "token_mint_b": bytes(k[2]),
            "token_vault_b": bytes(k[3]),
        },
    )
