"""Raydium CPMM (CP-Swap) accounts, each with the 8-byte Anchor discriminator.

`PoolState` (637 bytes, `#[repr(C, packed)]` zero-copy): amm_config @8, pool_creator @40,
token_0_vault @72, token_1_vault @104, lp_mint @136, token_0_mint @168, token_1_mint @200,
token_0_program @232, token_1_program @264, observation_key @296, auth_bump @328, status @329,
lp_mint_decimals @330, mint_0_decimals @331, mint_1_decimals @332, lp_supply @333,
protocol_fees_token_0/1 @341/@349, fund_fees_token_0/1 @357/@365, open_time @373, recent_epoch @381,
creator_fee_on @389, enable_creator_fee @390, padding1 @391, creator_fees_token_0/1 @397/@405,
padding 28 x u64 @413. (Builds before creator fees had padding from @389: the same bytes read as
zero, which is "creator fee off".)

`AmmConfig` (236 bytes, borsh): bump @8, disable_create_pool @9, index u16 @10, trade_fee_rate @12,
protocol_fee_rate @20, fund_fee_rate @28, create_pool_fee @36, protocol_owner @44, fund_owner @76,
creator_fee_rate @108, padding @116. Rates are parts per million.

`ObservationState` (4075 bytes): initialized @8, observation_index u16 @9, pool_id @11,
100 observations of 40 bytes @43, padding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.errors import ArbbotError
from arbbot.solana.errors import AccountLayoutError
from arbbot.solana.layouts._read import check, check_discriminator, pubkey, u8, u16, u64
from arbbot.solana.programs import RAYDIUM_CPMM, anchor_account_discriminator

POOL_STATE_LEN = 637
AMM_CONFIG_LEN = 236
OBSERVATION_STATE_LEN = 4075
POOL_STATE_DISCRIMINATOR = anchor_account_discriminator("PoolState")
AMM_CONFIG_DISCRIMINATOR = anchor_account_discriminator("AmmConfig")
OBSERVATION_STATE_DISCRIMINATOR = anchor_account_discriminator("ObservationState")
AUTH_SEED = b"vault_and_lp_mint_auth_seed"
# Pool status bits: a set bit disables the operation.
STATUS_DISABLE_DEPOSIT = 1
STATUS_DISABLE_WITHDRAW = 2
STATUS_DISABLE_SWAP = 4
# creator_fee_on: where the creator fee is taken.
CREATOR_FEE_BOTH_TOKENS = 0
CREATOR_FEE_ONLY_TOKEN_0 = 1
CREATOR_FEE_ONLY_TOKEN_1 = 2


@dataclass(frozen=True)
class CpmmPoolState:
    """A Raydium CPMM `PoolState`: mints, vaults and their token programs, status, and the fees its vaults owe.

    Vault balances include the protocol, fund and creator fees accrued (see `owed`), which are not reserves.
    `creator_fee_on` says which token the creator fee is charged in: the input always, only token 0, only token 1.
    """

    amm_config: Pubkey
    pool_creator: Pubkey
    token_0_vault: Pubkey
    token_1_vault: Pubkey
    lp_mint: Pubkey
    token_0_mint: Pubkey
    token_1_mint: Pubkey
    token_0_program: Pubkey
    token_1_program: Pubkey
    observation_key: Pubkey
    auth_bump: int
    status: int
    lp_mint_decimals: int
    mint_0_decimals: int
    mint_1_decimals: int
    lp_supply: int
    protocol_fees_token_0: int
    protocol_fees_token_1: int
    fund_fees_token_0: int
    fund_fees_token_1: int
    open_time: int
    recent_epoch: int
    creator_fee_on: int = CREATOR_FEE_BOTH_TOKENS
    enable_creator_fee: bool = False
    creator_fees_token_0: int = 0
    creator_fees_token_1: int = 0

    def owed(self, token: int) -> int:
        """Fees the vault of `token` (0 or 1) holds for protocol, fund and creator: not reserves."""
        if token == 0:
            return self.protocol_fees_token_0 + self.fund_fees_token_0 + self.creator_fees_token_0
        return self.protocol_fees_token_1 + self.fund_fees_token_1 + self.creator_fees_token_1

    def swap_enabled(self) -> bool:
        """True unless the pool's status has the swap-disabled bit set."""
        return self.status & STATUS_DISABLE_SWAP == 0

    def creator_fee_on_input(self, zero_for_one: bool) -> bool:
        """`PoolState::is_creator_fee_on_input`; an unknown mode is an error there and here."""
        if self.creator_fee_on == CREATOR_FEE_BOTH_TOKENS:
            return True
        if self.creator_fee_on == CREATOR_FEE_ONLY_TOKEN_0:
            return zero_for_one
        if self.creator_fee_on == CREATOR_FEE_ONLY_TOKEN_1:
            return not zero_for_one
        raise AccountLayoutError(f"CPMM pool: creator_fee_on is {self.creator_fee_on}, expected 0, 1 or 2")


@dataclass(frozen=True)
class CpmmAmmConfig:
    """A Raydium CPMM `AmmConfig`: the fee tier of its pools.

    Rates are parts per million: `trade_fee_rate` of the input, `creator_fee_rate` of the amount it is charged on
    (input or output), `protocol_fee_rate` and `fund_fee_rate` of the trade fee.
    """

    bump: int
    disable_create_pool: bool
    index: int
    trade_fee_rate: int
    protocol_fee_rate: int
    fund_fee_rate: int
    create_pool_fee: int
    protocol_owner: Pubkey
    fund_owner: Pubkey
    creator_fee_rate: int = 0


def decode_pool_state(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> CpmmPoolState:
    """Decode a Raydium CPMM `PoolState` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's,
    or the creator-fee fields hold values the program does not define.
    """
    check("CPMM pool state", address, data, POOL_STATE_LEN, owner, RAYDIUM_CPMM)
    check_discriminator("CPMM pool state", address, data, POOL_STATE_DISCRIMINATOR)
    if data[390] not in (0, 1):
        raise AccountLayoutError(f"CPMM pool state {address}: enable_creator_fee byte is {data[390]}, not a bool")
    keys = [pubkey(data, 8 + 32 * i) for i in range(10)]
    state = CpmmPoolState(
        amm_config=keys[0],
        pool_creator=keys[1],
        token_0_vault=keys[2],
        token_1_vault=keys[3],
        lp_mint=keys[4],
        token_0_mint=keys[5],
        token_1_mint=keys[6],
        token_0_program=keys[7],
        token_1_program=keys[8],
        observation_key=keys[9],
        auth_bump=u8(data, 328),
        status=u8(data, 329),
        lp_mint_decimals=u8(data, 330),
        mint_0_decimals=u8(data, 331),
        mint_1_decimals=u8(data, 332),
        lp_supply=u64(data, 333),
        protocol_fees_token_0=u64(data, 341),
        protocol_fees_token_1=u64(data, 349),
        fund_fees_token_0=u64(data, 357),
        fund_fees_token_1=u64(data, 365),
        open_time=u64(data, 373),
        recent_epoch=u64(data, 381),
        creator_fee_on=u8(data, 389),
        enable_creator_fee=bool(data[390]),
        creator_fees_token_0=u64(data, 397),
        creator_fees_token_1=u64(data, 405),
    )
    state.creator_fee_on_input(True)  # refuses an unknown mode now rather than at quote time
    return state


def decode_amm_config(data: bytes, address: Pubkey | None = None, owner: Pubkey | None = None) -> CpmmAmmConfig:
    """Decode a Raydium CPMM `AmmConfig` account.

    Raises `AccountLayoutError` when the size, the owner (when given) or the discriminator is not the layout's.
    """
    check("CPMM amm config", address, data, AMM_CONFIG_LEN, owner, RAYDIUM_CPMM)
    check_discriminator("CPMM amm config", address, data, AMM_CONFIG_DISCRIMINATOR)
    return CpmmAmmConfig(
        bump=u8(data, 8),
        disable_create_pool=bool(data[9]),
        index=u16(data, 10),
        trade_fee_rate=u64(data, 12),
        protocol_fee_rate=u64(data, 20),
        fund_fee_rate=u64(data, 28),
        create_pool_fee=u64(data, 36),
        protocol_owner=pubkey(data, 44),
        fund_owner=pubkey(data, 76),
        creator_fee_rate=u64(data, 108),
    )


def vault_authority(program: Pubkey = RAYDIUM_CPMM) -> tuple[Pubkey, int]:
    """The PDA (and bump) that owns every CPMM pool's vaults and LP mint."""
    return Pubkey.find_program_address([AUTH_SEED], program)


def pack_pool_state(s: CpmmPoolState) -> bytes:
    """The 637 account bytes of `s`, discriminator included (the inverse of `decode_pool_state`, for test accounts)."""
    keys = (
        s.amm_config,
        s.pool_creator,
        s.token_0_vault,
        s.token_1_vault,
        s.lp_mint,
        s.token_0_mint,
        s.token_1_mint,
        s.token_0_program,
        s.token_1_program,
        s.observation_key,
    )
    out = POOL_STATE_DISCRIMINATOR + b"".join(bytes(k) for k in keys)
    out += struct.pack("<5B", s.auth_bump, s.status, s.lp_mint_decimals, s.mint_0_decimals, s.mint_1_decimals)
    out += struct.pack(
        "<7Q",
        s.lp_supply,
        s.protocol_fees_token_0,
        s.protocol_fees_token_1,
        s.fund_fees_token_0,
        s.fund_fees_token_1,
        s.open_time,
        s.recent_epoch,
    )
    out += struct.pack("<BB6x", s.creator_fee_on, int(s.enable_creator_fee))
    out += struct.pack("<QQ", s.creator_fees_token_0, s.creator_fees_token_1)
    out += bytes(8 * 28)
    if len(out) != POOL_STATE_LEN:
        raise ArbbotError(f"CPMM pool state packs to {len(out)} bytes, not {POOL_STATE_LEN}")
    return out


def pack_amm_config(c: CpmmAmmConfig) -> bytes:
    """The 236 account bytes of `c`, discriminator included (the inverse of `decode_amm_config`, for test accounts)."""
    out = AMM_CONFIG_DISCRIMINATOR + struct.pack(
        "<BBHQQQQ",
        c.bump,
        int(c.disable_create_pool),
        c.index,
        c.trade_fee_rate,
        c.protocol_fee_rate,
        c.fund_fee_rate,
        c.create_pool_fee,
    )
    out += bytes(c.protocol_owner) + bytes(c.fund_owner) + struct.pack("<Q", c.creator_fee_rate) + bytes(8 * 15)
    if len(out) != AMM_CONFIG_LEN:
        raise ArbbotError(f"CPMM amm config packs to {len(out)} bytes, not {AMM_CONFIG_LEN}")
    return out


def pack_observation_state(pool: Pubkey) -> bytes:
    """A fresh observation account of `pool` (not yet initialised: the first swap starts it)."""
    out = OBSERVATION_STATE_DISCRIMINATOR + b"\0\0\0" + bytes(pool)
    return out + bytes(OBSERVATION_STATE_LEN - len(out))
