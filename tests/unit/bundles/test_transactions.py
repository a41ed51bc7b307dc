"""EIP-1559 signing, hashes and the nonce manager (against a real HTTP server standing in for a node)."""

from __future__ import annotations

import asyncio

import pytest
from eth_account import Account
from eth_utils import keccak

from arbbot.execution.bundles.errors import BundleError, EndpointRpcError, NonceTooLowError
from arbbot.execution.bundles.rpc import JsonRpcClient, is_nonce_too_low
from arbbot.execution.bundles.transactions import (
    Fees,
    NonceManager,
    TransactionSigner,
    bundle_hash,
    bundle_hash_from_hashes,
    raw_hex,
    recover_sender,
    suggest_fees,
    tx_hash,
)
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, Seen, error, result

KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil dev account #0
ADDR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
FEES = Fees(max_fee_per_gas=30 * 10**9, max_priority_fee_per_gas=2 * 10**9)


def test_bundle_hash_matches_spec_example() -> None:
    hashes = [
        "0x669b4704a7d993a946cdd6e2f95233f308ce0c4649d2e04944e8299efcaa098a",
        "0xa839ee83465657cac01adc1d50d96c1b586ed498120a84a64749c0034b4f19fa",
    ]
    assert bundle_hash_from_hashes(hashes) == "0x73b1e258c7a42fd0230b2fd05529c5d4b6fcb66c227783f8bece8aeacdd1db2e"


def test_signed_eip1559_tx() -> None:
    signer = TransactionSigner(KEY, 31337)
    tx = signer.sign(to=TO.lower(), nonce=3, gas=21000, fees=FEES, value=10**18, data="0xabcd")
    assert tx.raw.startswith("0x02")  # EIP-2718 type 2 envelope
    assert tx.hash == "0x" + keccak(hexstr=tx.raw).hex() == tx_hash(tx.raw)
    assert tx.sender == ADDR == recover_sender(tx.raw) == recover_sender(bytes.fromhex(tx.raw[2:]))
    assert tx.nonce == 3 and tx.fields["to"] == TO and tx.fields["data"] == b"\xab\xcd"
    assert tx.fields["maxFeePerGas"] == FEES.max_fee_per_gas and tx.fields["chainId"] == 31337
    other = signer.sign(to=TO, nonce=4, gas=21000, fees=FEES)
    assert bundle_hash([tx, other.raw]) == bundle_hash_from_hashes([tx.hash, other.hash])
    create = signer.build(to=None, nonce=0, gas=100_000, fees=FEES, data=b"\x00")
    assert "to" not in create


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        Fees(max_fee_per_gas=1, max_priority_fee_per_gas=2)
    signer = TransactionSigner(KEY, 1)
    with pytest.raises(ValueError, match="not an address"):
        signer.build(to="0x1234", nonce=0, gas=21000, fees=FEES)
    with pytest.raises(ValueError):
        signer.build(to=TO, nonce=-1, gas=21000, fees=FEES)
    with pytest.raises(BundleError, match="not hex"):
        raw_hex("0xzz")
    with pytest.raises(BundleError, match="cannot decode"):
        recover_sender("0x02deadbeef")
    with pytest.raises(BundleError, match="not a valid") as info:
        TransactionSigner("0x" + "ab" * 10, 1)
    assert "ab" * 10 not in str(info.value)
    assert "ac0974bec39a17e3" not in repr(signer) and ADDR in repr(signer)
    with pytest.raises(BundleError, match="no rpc"):
        asyncio.run(signer.sign_next(to=TO, gas=21000, fees=FEES))


def test_nonce_messages() -> None:
    for msg in (
        "nonce too low: next nonce 5, tx nonce 0",
        "NonceTooLow",
        "err: Nonce too low; txhash 0x1",
        "NONCE_TOO_LOW",
    ):
        assert is_nonce_too_low(msg), msg
    assert not is_nonce_too_low("nonce too high")


def test_nonce_manager_concurrent_reservations_are_distinct_and_contiguous() -> None:
    async def run() -> tuple[list[int], list[int], int]:
        async def answer(seen: Seen) -> Reply:
            await asyncio.sleep(0)  # let other coroutines pile up on the lock
            assert seen.params == [ADDR, "pending"]
            return result("0x7")

        async with ScriptedServer(answer) as node, JsonRpcClient(node.url) as rpc:
            nonces = NonceManager(rpc, ADDR.lower())
            singles = await asyncio.gather(*(nonces.next_nonce() for _ in range(40)))
            blocks = await asyncio.gather(*(nonces.next_nonce(3) for _ in range(5)))
            return list(singles), list(blocks), len(node.seen)

    singles, blocks, calls = asyncio.run(run())
    assert sorted(singles) == list(range(7, 47))
    covered = sorted(n for first in blocks for n in range(first, first + 3))
    assert covered == list(range(47, 62))
    assert calls == 1  # seeded once, then local


def test_send_resyncs_on_nonce_too_low_and_retries_once() -> None:
    sent: list[str] = []

    def node(seen: Seen) -> Reply:
        if seen.method == "eth_getTransactionCount":
            return result("0x0" if not sent else "0x5")
        sent.append(seen.params[0])
        if len(sent) == 1:
            return error(-32003, "nonce too low: next nonce 5, tx nonce 0")
        return result(tx_hash(seen.params[0]))

    async def run() -> tuple[int, int]:
        async with ScriptedServer(node) as srv, JsonRpcClient(srv.url) as rpc:
            signer = TransactionSigner(KEY, 31337, rpc=rpc)
            tx = await signer.send(rpc, to=TO, gas=21000, fees=FEES, value=1)
            assert signer.nonces is not None
            return tx.nonce, signer.nonces.resyncs

    nonce, resyncs = asyncio.run(run())
    assert nonce == 5 and resyncs == 1
    assert len(sent) == 2 and sent[0] != sent[1]
    assert Account.recover_transaction(sent[1]) == ADDR


def test_send_does_not_retry_other_errors() -> None:
    def node(seen: Seen) -> Reply:
        if seen.method == "eth_getTransactionCount":
            return result("0x0")
        return error(-32003, "insufficient funds for gas * price + value")

    async def run() -> int:
        async with ScriptedServer(node) as srv, JsonRpcClient(srv.url) as rpc:
            signer = TransactionSigner(KEY, 31337, rpc=rpc)
            with pytest.raises(EndpointRpcError, match="insufficient funds") as info:
                await signer.send(rpc, to=TO, gas=21000, fees=FEES)
            assert not isinstance(info.value, NonceTooLowError)
            return sum(1 for s in srv.seen if s.method == "eth_sendRawTransaction")

    assert asyncio.run(run()) == 1


def test_suggest_fees_from_base_fee() -> None:
    async def run() -> Fees:
        block = {"number": "0x10", "baseFeePerGas": hex(7 * 10**9)}
        async with ScriptedServer(result(block)) as srv, JsonRpcClient(srv.url) as rpc:
            return await suggest_fees(rpc, 10**9)

    fees = asyncio.run(run())
    assert fees == Fees(max_fee_per_gas=15 * 10**9, max_priority_fee_per_gas=10**9)
