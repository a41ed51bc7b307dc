"""EIP-1559 transactions for bundles: building, signing, hashing, and a concurrency-safe nonce manager.

The nonce manager keeps a local counter seeded from `eth_getTransactionCount(address, "pending")`; an
asyncio lock makes concurrent reservations distinct and contiguous; on a 'nonce too low' answer the
counter is resynced from the node. Private keys stay inside `TransactionSigner` (repr shows the address).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import rlp
from eth_account import Account
from eth_keys.exceptions import ValidationError
from eth_utils import is_address, keccak, to_checksum_address

from arbbot.execution.bundles.errors import BundleError, EndpointRpcError
from arbbot.execution.bundles.rpc import RpcCaller, is_nonce_too_low

ETH_TRANSFER_GAS = 21_000


def _hex_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return int(value, 16) if value.startswith(("0x", "0X")) else int(value)
    raise BundleError(f"expected an integer quantity, got {value!r}")


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction as a bundle carries it. `raw` is the 0x-hex EIP-2718 envelope."""

    raw: str
    hash: str
    sender: str
    nonce: int
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


TxLike = SignedTx | str | bytes


def raw_hex(tx: TxLike) -> str:
    """The 0x-hex raw form of a signed tx given as SignedTx, raw bytes or hex text."""
    if isinstance(tx, SignedTx):
        return tx.raw
    if isinstance(tx, bytes | bytearray):
        return "0x" + bytes(tx).hex()
    if isinstance(tx, str):
        body = tx[2:] if tx.startswith(("0x", "0X")) else tx
        try:
            bytes.fromhex(body)
        except ValueError:
            raise BundleError("signed transaction is not hex") from None
        if not body:
            raise BundleError("signed transaction is empty")
        return "0x" + body.lower()
    raise TypeError(f"not a signed transaction: {type(tx).__name__}")


def tx_hash(tx: TxLike) -> str:
    """keccak256 of the raw envelope: the transaction hash for legacy and typed transactions."""
    if isinstance(tx, SignedTx):
        return tx.hash
    return "0x" + keccak(hexstr=raw_hex(tx)).hex()


def bundle_hash_from_hashes(hashes: Iterable[str]) -> str:
    """Flashbots reference bundle hash: keccak256(concat(32-byte tx hashes)) (spec A2)."""
    return "0x" + keccak(b"".join(bytes.fromhex(h.removeprefix("0x")) for h in hashes)).hex()


def bundle_hash(txs: Iterable[TxLike]) -> str:
    """The reference bundle hash of signed txs. Not universal (BuilderNet differs): store what builders return."""
    return bundle_hash_from_hashes(tx_hash(tx) for tx in txs)


def recover_sender(tx: TxLike) -> str:
    """The sender of a signed tx; raises BundleError if it does not decode."""
    try:
        return str(Account.recover_transaction(raw_hex(tx)))
    except Exception as exc:  # untrusted bytes: rlp, eth-keys and eth-account all raise their own types
        raise BundleError(f"cannot decode signed transaction: {type(exc).__name__}") from None


def decode_nonce(tx: TxLike) -> int:
    """The nonce of a signed legacy or typed (EIP-2718) transaction."""
    if isinstance(tx, SignedTx):
        return tx.nonce
    data = bytes.fromhex(raw_hex(tx)[2:])
    try:
        if data[0] >= 0xC0:  # legacy: rlp([nonce, gasPrice, gas, to, value, data, v, r, s])
            return int.from_bytes(rlp.decode(data)[0], "big")
        fields = rlp.decode(data[1:])  # typed: type byte || rlp([chainId, nonce, ...])
        return int.from_bytes(fields[1], "big")
    except Exception as exc:  # untrusted bytes
        raise BundleError(f"cannot decode signed transaction: {type(exc).__name__}") from None


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fee caps in wei per gas; construction rejects negative values and a tip above the max fee."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int

    def __post_init__(self) -> None:
        if self.max_priority_fee_per_gas < 0 or self.max_fee_per_gas < 0:
            raise ValueError("fees must be non-negative")
        if self.max_priority_fee_per_gas > self.max_fee_per_gas:
            raise ValueError("max_priority_fee_per_gas exceeds max_fee_per_gas")


async def suggest_fees(rpc: RpcCaller, priority_fee: int, *, base_fee_multiplier: int = 2) -> Fees:
    """maxFee = multiplier × latest base fee + tip (headroom for base-fee rises over a few blocks)."""
    block = await rpc.call("eth_getBlockByNumber", ["latest", False])
    if not isinstance(block, dict) or block.get("baseFeePerGas") is None:
        raise BundleError("latest block has no baseFeePerGas (pre-London chain?)")
    base = _hex_int(block["baseFeePerGas"])
    return Fees(max_fee_per_gas=base * base_fee_multiplier + priority_fee, max_priority_fee_per_gas=priority_fee)


class NonceManager:
    """Hands out nonces for one address; safe for concurrent coroutines on one event loop."""

    def __init__(self, rpc: RpcCaller, address: str) -> None:
        if not is_address(address):
            raise ValueError(f"not an address: {address!r}")
        self.rpc = rpc
        self.address = to_checksum_address(address)
        self._next: int | None = None
        self._lock = asyncio.Lock()
        self.resyncs = 0

    async def _fetch(self) -> int:
        return _hex_int(await self.rpc.call("eth_getTransactionCount", [self.address, "pending"]))

    async def next_nonce(self, count: int = 1) -> int:
        """Reserve `count` contiguous nonces; return the first."""
        if count < 1:
            raise ValueError("count must be >= 1")
        async with self._lock:
            if self._next is None:
                self._next = await self._fetch()
            first = self._next
            self._next += count
            return first

    async def peek(self) -> int | None:
        """The next nonce that would be reserved, or `None` before the first reservation; reserves nothing."""
        async with self._lock:
            return self._next

    async def resync(self) -> int:
        """Reseed from the node's pending count (after 'nonce too low', or when a bundle missed)."""
        async with self._lock:
            self._next = await self._fetch()
            self.resyncs += 1
            return self._next

    def reset(self) -> None:
        """Forget the counter; the next reservation reseeds from the node."""
        self._next = None

    async def observe_error(self, exc: BaseException | str) -> bool:
        """Resync if `exc` says 'nonce too low'; return whether it did."""
        if is_nonce_too_low(str(exc)):
            await self.resync()
            return True
        return False


class TransactionSigner:
    """Builds and signs EIP-1559 (type 2) transactions for one key on one chain."""

    __slots__ = ("_account", "chain_id", "nonces")

    def __init__(self, private_key: str | bytes, chain_id: int, *, rpc: RpcCaller | None = None) -> None:
        try:
            self._account = Account.from_key(private_key)
        except (ValueError, TypeError, ValidationError):
            raise BundleError("transaction key is not a valid secp256k1 private key") from None
        if chain_id <= 0:
            raise ValueError("chain_id must be positive")
        self.chain_id = chain_id
        self.nonces = NonceManager(rpc, self.address) if rpc is not None else None

    @property
    def address(self) -> str:
        """The signing account's checksum address (the key itself is never exposed)."""
        return str(self._account.address)

    def __repr__(self) -> str:
        return f"TransactionSigner(address={self.address}, chain_id={self.chain_id})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("TransactionSigner cannot be pickled")

    def build(
        self,
        *,
        to: str | None,
        nonce: int,
        gas: int,
        fees: Fees,
        value: int = 0,
        data: bytes | str = b"",
        access_list: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """The unsigned type-2 transaction dict (`to=None` creates a contract)."""
        if nonce < 0 or gas <= 0 or value < 0:
            raise ValueError("nonce and value must be >= 0 and gas > 0")
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
            "value": value,
            "data": data if isinstance(data, bytes) else bytes.fromhex(data.removeprefix("0x")),
            "accessList": [dict(item) for item in access_list],
        }
        if to is not None:
            if not is_address(to):
                raise ValueError(f"not an address: {to!r}")
            tx["to"] = to_checksum_address(to)
        return tx

    def sign_dict(self, tx: Mapping[str, Any]) -> SignedTx:
        """Sign a complete transaction dict (nonce included) as is; returns the raw bytes, hash, sender and fields."""
        signed = self._account.sign_transaction(dict(tx))
        return SignedTx(
            raw=signed.raw_transaction.to_0x_hex(),
            hash=signed.hash.to_0x_hex(),
            sender=self.address,
            nonce=int(tx["nonce"]),
            fields=dict(tx),
        )

    def sign(self, **kwargs: Any) -> SignedTx:
        """Build and sign with an explicit nonce (see `build` for the arguments)."""
        return self.sign_dict(self.build(**kwargs))

    def _need_nonces(self) -> NonceManager:
        if self.nonces is None:
            raise BundleError("TransactionSigner has no rpc: pass rpc= to use managed nonces")
        return self.nonces

    async def sign_next(self, **kwargs: Any) -> SignedTx:
        """Build and sign with the next managed nonce."""
        nonce = await self._need_nonces().next_nonce()
        return self.sign(nonce=nonce, **kwargs)

    async def sign_many(self, specs: Sequence[Mapping[str, Any]]) -> list[SignedTx]:
        """Sign several txs with contiguous managed nonces (one reservation), e.g. for one bundle."""
        first = await self._need_nonces().next_nonce(len(specs))
        return [self.sign(nonce=first + i, **spec) for i, spec in enumerate(specs)]

    async def send(self, rpc: RpcCaller, **kwargs: Any) -> SignedTx:
        """Sign with the next nonce and eth_sendRawTransaction it; on 'nonce too low' resync and retry once."""
        nonces = self._need_nonces()
        tx = await self.sign_next(**kwargs)
        try:
            await rpc.call("eth_sendRawTransaction", [tx.raw])
        except EndpointRpcError as exc:
            if not await nonces.observe_error(exc):
                raise
            tx = await self.sign_next(**kwargs)
            await rpc.call("eth_sendRawTransaction", [tx.raw])
        return tx
