"""Token-2022 transfer fees, integer-exact as spl-token-2022 `extension/transfer_fee` computes them.

`TransferFeeConfig` holds an older and a newer fee; the newer applies from its epoch on. The fee on a
transfer of `amount` is ceil(amount · bps / 10 000), capped at `maximum_fee`; the recipient gets
`amount - fee` and the fee stays withheld in the recipient's account.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from arbbot.solana.errors import AccountLayoutError, QuoteError
from arbbot.solana.layouts.token_2022 import TRANSFER_FEE_CONFIG, decode_mint_2022

ONE_IN_BASIS_POINTS = 10_000
MAX_FEE_BASIS_POINTS = 10_000
U64_MAX = (1 << 64) - 1
TRANSFER_FEE_CONFIG_LEN = 108


@dataclass(frozen=True)
class TransferFee:
    """One Token-2022 transfer fee schedule: from `epoch` on, `basis_points` of a transfer capped at `maximum_fee`."""

    epoch: int
    maximum_fee: int
    basis_points: int

    def pack(self) -> bytes:
        """The fee's 18 bytes as they sit in the mint's `TransferFeeConfig` extension."""
        return struct.pack("<QQH", self.epoch, self.maximum_fee, self.basis_points)


@dataclass(frozen=True)
class TransferFeeConfig:
    """A Token-2022 mint's `TransferFeeConfig` extension: the older and the newer fee, authorities, withheld amount.

    An authority of None is stored as the all-zero key. Which fee applies is decided by `fee_for_epoch`.
    """

    config_authority: Pubkey | None
    withdraw_withheld_authority: Pubkey | None
    withheld_amount: int
    older: TransferFee
    newer: TransferFee

    def fee_for_epoch(self, epoch: int) -> TransferFee:
        """The newer fee from its epoch on, the older one before."""
        return self.newer if epoch >= self.newer.epoch else self.older

    def pack(self) -> bytes:
        """The extension's 108 value bytes (the inverse of `decode_transfer_fee_config`)."""

        def key(k: Pubkey | None) -> bytes:
            return bytes(k) if k is not None else bytes(32)

        return (
            key(self.config_authority)
            + key(self.withdraw_withheld_authority)
            + self.withheld_amount.to_bytes(8, "little")
            + self.older.pack()
            + self.newer.pack()
        )


def decode_transfer_fee_config(value: bytes) -> TransferFeeConfig:
    """Decode a `TransferFeeConfig` extension value (108 bytes).

    Raises `AccountLayoutError` for a wrong length or a fee above 10,000 basis points.
    """
    if len(value) != TRANSFER_FEE_CONFIG_LEN:
        raise AccountLayoutError(f"TransferFeeConfig: {len(value)} bytes, expected {TRANSFER_FEE_CONFIG_LEN}")

    def key(off: int) -> Pubkey | None:
        raw = value[off : off + 32]
        return None if raw == bytes(32) else Pubkey.from_bytes(raw)

    fees = []
    for off in (72, 90):
        epoch, maximum_fee, bps = struct.unpack_from("<QQH", value, off)
        if bps > MAX_FEE_BASIS_POINTS:
            raise AccountLayoutError(f"TransferFeeConfig: basis points {bps} exceed {MAX_FEE_BASIS_POINTS}")
        fees.append(TransferFee(epoch, maximum_fee, bps))
    return TransferFeeConfig(key(0), key(32), struct.unpack_from("<Q", value, 64)[0], fees[0], fees[1])


def mint_transfer_fee_config(data: bytes, address: Pubkey | None = None) -> TransferFeeConfig | None:
    """The mint's TransferFeeConfig, or None when it has none."""
    value = decode_mint_2022(data, address).extensions.get(TRANSFER_FEE_CONFIG)
    return None if value is None else decode_transfer_fee_config(value)


def _ceil_div(numerator: int, denominator: int) -> int:
    return (numerator + denominator - 1) // denominator


def transfer_fee(fee: TransferFee, amount: int) -> int:
    """`TransferFee::calculate_fee`: the fee withheld on a transfer of `amount` (pre-fee)."""
    if not 0 <= amount <= U64_MAX:
        raise QuoteError(f"transfer amount {amount} is outside u64")
    if fee.basis_points == 0 or amount == 0:
        return 0
    return min(_ceil_div(amount * fee.basis_points, ONE_IN_BASIS_POINTS), fee.maximum_fee)


def post_fee_amount(fee: TransferFee, amount: int) -> int:
    """What the recipient gets from a transfer of `amount`."""
    return amount - transfer_fee(fee, amount)


def pre_fee_amount(fee: TransferFee, post: int) -> int:
    """`TransferFee::calculate_pre_fee_amount`: the smallest transfer that delivers `post` (where the
    fee rounds, the smaller of two candidates). QuoteError where no u64 transfer delivers it."""
    if fee.basis_points == 0:
        return post
    if post == 0:
        return 0
    if fee.basis_points == ONE_IN_BASIS_POINTS:
        result = fee.maximum_fee + post
    else:
        raw = _ceil_div(post * ONE_IN_BASIS_POINTS, ONE_IN_BASIS_POINTS - fee.basis_points)
        result = post + fee.maximum_fee if raw - post >= fee.maximum_fee else raw
    if result > U64_MAX:
        raise QuoteError(f"no u64 transfer delivers {post} at {fee.basis_points} bps")
    return result


def inverse_fee(fee: TransferFee, post: int) -> int:
    """`TransferFee::calculate_inverse_fee`: the fee charged on `pre_fee_amount(post)`."""
    return transfer_fee(fee, pre_fee_amount(fee, post))


def epoch_transfer_fee(config: TransferFeeConfig | None, epoch: int, amount: int) -> int:
    """The fee at `epoch` on a transfer of `amount` (0 for a mint without transfer fees)."""
    return 0 if config is None else transfer_fee(config.fee_for_epoch(epoch), amount)
