"""Raydium CPMM pool as the searcher sees it: decoded state and config, vault balances, the mints'
Token-2022 transfer fees, an exact quote, and the `swap_base_input` hop block for arb_executor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, QuoteError, SolanaError
from arbbot.solana.layouts import token_2022 as t22
from arbbot.solana.layouts.raydium_cpmm import CpmmAmmConfig, CpmmPoolState, decode_amm_config, vault_authority
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.mints import read_mint
from arbbot.solana.programs import TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from arbbot.solana.quote.raydium_cpmm import U64_MAX, swap_base_input_received
from arbbot.solana.quote.transfer_fee import TransferFee, TransferFeeConfig
from arbbot.solana.rpc import AccountData, SolanaRpc
from arbbot.solana.venues import Venue, VenuePool


@dataclass
class RaydiumCpmmPool(VenuePool):
    """`epoch` picks each mint's transfer fee; `unix_time`, when known, refuses a pool not yet open."""

    state: CpmmPoolState = field(kw_only=True)
    config: CpmmAmmConfig = field(kw_only=True)
    vault_0_amount: int = field(kw_only=True)
    vault_1_amount: int = field(kw_only=True)
    transfer_fee_0: TransferFeeConfig | None = field(kw_only=True, default=None)
    transfer_fee_1: TransferFeeConfig | None = field(kw_only=True, default=None)
    epoch: int = field(kw_only=True, default=0)
    unix_time: int | None = field(kw_only=True, default=None)

    def __post_init__(self) -> None:
        self.venue = Venue.RAYDIUM_CPMM

    def reserves(self) -> tuple[int, int]:
        """Vault balances less the protocol, fund and creator fees they hold: the reserves the curve prices on.

        Raises `QuoteError` when the owed fees exceed a vault balance.
        """
        r0 = self.vault_0_amount - self.state.owed(0)
        r1 = self.vault_1_amount - self.state.owed(1)
        if r0 < 0 or r1 < 0:
            raise QuoteError(f"CPMM pool {self.address}: owed fees exceed a vault balance")
        return r0, r1

    def quote(self, mint_in: Pubkey, amount_in: int) -> int:
        """Exact amount the user receives for `amount_in` of `mint_in`, both sides' transfer fees at `epoch` included.

        Raises `QuoteError` when swaps are disabled, the pool is not open yet (when `unix_time` is known), the input
        vault would overflow, or the program would fail.
        """
        zero_for_one = self.a_to_b(mint_in)
        if not self.state.swap_enabled():
            raise QuoteError(f"CPMM pool {self.address}: status {self.state.status} disables swaps")
        if self.unix_time is not None and self.unix_time < self.state.open_time:
            raise QuoteError(f"CPMM pool {self.address}: opens at {self.state.open_time}, now {self.unix_time}")
        r0, r1 = self.reserves()
        fees = (self.transfer_fee_0, self.transfer_fee_1)
        i, o = (0, 1) if zero_for_one else (1, 0)
        vault_in = (self.vault_0_amount, self.vault_1_amount)[i]
        if vault_in + amount_in > U64_MAX:
            # The vault's balance cannot hold it: the token program refuses the transfer.
            raise QuoteError(f"CPMM pool {self.address}: input vault {vault_in} + {amount_in} overflows u64")
        cfg = self.config
        return swap_base_input_received(
            amount_in,
            (r0, r1)[i],
            (r0, r1)[o],
            cfg.trade_fee_rate,
            cfg.protocol_fee_rate,
            cfg.fund_fee_rate,
            cfg.creator_fee_rate if self.state.enable_creator_fee else 0,
            self.state.creator_fee_on_input(zero_for_one),
            _fee_at(fees[i], self.epoch),
            _fee_at(fees[o], self.epoch),
        )

    def hop_accounts(self, mint_in: Pubkey, owner: Pubkey, user_in: Pubkey, user_out: Pubkey) -> list[AccountMeta]:
        """`swap_base_input`: payer, vault authority, config, pool, user in/out, vaults in/out, token
        programs in/out, mints in/out, observation (positions as arb_executor's `raydium_cpmm`)."""
        zero_for_one = self.a_to_b(mint_in)
        s = self.state
        zero = (s.token_0_vault, s.token_0_program, s.token_0_mint)
        one = (s.token_1_vault, s.token_1_program, s.token_1_mint)
        (vin, pin, min_), (vout, pout, mout) = (zero, one) if zero_for_one else (one, zero)

        def w(k: Pubkey) -> AccountMeta:
            return AccountMeta(k, is_signer=False, is_writable=True)

        def r(k: Pubkey) -> AccountMeta:
            return AccountMeta(k, is_signer=False, is_writable=False)

        return [
            r(self.program),
            AccountMeta(owner, is_signer=True, is_writable=False),
            r(vault_authority(self.program)[0]),
            r(s.amm_config),
            w(self.address),
            w(user_in),
            w(user_out),
            w(vin),
            w(vout),
            r(pin),
            r(pout),
            r(min_),
            r(mout),
            w(s.observation_key),
        ]

    def reserve_accounts(self) -> list[Pubkey]:
        """The vaults, and the pool state whose owed-fee counters every swap raises."""
        return [self.state.token_0_vault, self.state.token_1_vault, self.address]


def _token_amount(acc: AccountData | None, key: Pubkey, pool: Pubkey, program: Pubkey) -> int:
    """A vault's balance, read with the token program the pool names for it."""
    if acc is None:
        raise AccountLayoutError(f"CPMM pool {pool}: vault {key} does not exist")
    if acc.owner != program:
        raise AccountLayoutError(f"CPMM pool {pool}: vault {key} is owned by {acc.owner}, the pool names {program}")
    if program == TOKEN_PROGRAM:
        return decode_token_account(acc.data, key, acc.owner).amount
    if len(acc.data) < t22.BASE_LEN or acc.data[108] == 0:
        raise AccountLayoutError(f"CPMM pool {pool}: vault {key} is not an initialised token account")
    t22.extensions(acc.data, t22.ACCOUNT_TYPE_ACCOUNT, f"vault {key}")
    return t22.account_amount(acc.data)


def _transfer_fee(acc: AccountData | None, key: Pubkey, pool: Pubkey, program: Pubkey) -> TransferFeeConfig | None:
    """The mint's transfer fee; a mint arb_executor would refuse (hook, permanent delegate...) is an error."""
    if acc is not None and acc.owner != program:
        raise AccountLayoutError(f"CPMM pool {pool}: mint {key} is owned by {acc.owner}, the pool names {program}")
    return read_mint(acc, key, f"CPMM pool {pool}")[1]


def build_cpmm_pools(
    rpc: SolanaRpc, decoded: Sequence[tuple[AccountData, CpmmPoolState]], skipped: list[str]
) -> list[RaydiumCpmmPool]:
    """Each pool with its config, vault balances and mints' transfer fees (batched reads); a pool whose
    accounts are missing or refused is skipped with the reason."""
    if not decoded:
        return []
    wanted = list(
        dict.fromkeys(
            k
            for _, s in decoded
            for k in (s.amm_config, s.token_0_vault, s.token_1_vault, s.token_0_mint, s.token_1_mint)
        )
    )
    fetched = dict(zip(wanted, rpc.get_multiple_accounts(wanted), strict=True))
    epoch = rpc.get_epoch()
    pools: list[RaydiumCpmmPool] = []
    for acc, s in decoded:
        try:
            cfg_acc = fetched[s.amm_config]
            if cfg_acc is None:
                raise AccountLayoutError(f"CPMM pool {acc.address}: config {s.amm_config} does not exist")
            for program in (s.token_0_program, s.token_1_program):
                if program not in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
                    raise AccountLayoutError(
                        f"CPMM pool {acc.address}: token program {program} is neither token program"
                    )
            pools.append(
                RaydiumCpmmPool(
                    acc.address,
                    acc.owner,
                    s.token_0_mint,
                    s.token_1_mint,
                    state=s,
                    config=decode_amm_config(cfg_acc.data, s.amm_config, cfg_acc.owner),
                    vault_0_amount=_token_amount(
                        fetched[s.token_0_vault], s.token_0_vault, acc.address, s.token_0_program
                    ),
                    vault_1_amount=_token_amount(
                        fetched[s.token_1_vault], s.token_1_vault, acc.address, s.token_1_program
                    ),
                    transfer_fee_0=_transfer_fee(
                        fetched[s.token_0_mint], s.token_0_mint, acc.address, s.token_0_program
                    ),
                    transfer_fee_1=_transfer_fee(
                        fetched[s.token_1_mint], s.token_1_mint, acc.address, s.token_1_program
                    ),
                    epoch=epoch,
                )
            )
        except SolanaError as exc:
            skipped.append(f"{acc.address}: {exc}")
    return pools


def _fee_at(config: TransferFeeConfig | None, epoch: int) -> TransferFee | None:
    return None if config is None else config.fee_for_epoch(epoch)
