"""`mev_sendBundle`: the exact wire format, validation naming the field, signing, and error classes."""

from __future__ import annotations

import asyncio

import pytest
from eth_account import Account

from arbbot.execution.bundles.errors import EndpointBadResponse, EndpointHttpError, EndpointRpcError
from arbbot.execution.bundles.mev_share import MevShareClient, Refund, send_bundle_params
from arbbot.execution.bundles.signing import HEADER, FlashbotsSigner, verify
from arbbot.execution.bundles.transactions import Fees, TransactionSigner
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, error, result

VICTIM = "0x" + "Ab" * 32
SIGNER = TransactionSigner(Account.create().key, 1)
RAW = SIGNER.sign(to="0x" + "11" * 20, nonce=0, gas=300_000, fees=Fees(10**10, 10**9), data=b"\x01").raw
BUNDLE_HASH = "0x" + "cd" * 32


def test_the_minimal_bundle_is_exactly_the_spec_shape() -> None:
    assert send_bundle_params(VICTIM, RAW, 100) == {
        "version": "v0.1",
        "inclusion": {"block": "0x64", "maxBlock": "0x64"},
        "body": [{"hash": VICTIM.lower()}, {"tx": RAW, "canRevert": False}],
    }


def test_validity_and_privacy() -> None:
    p = send_bundle_params(
        VICTIM, RAW, 100, max_block=105, refund=[Refund(0, 90)],
        refund_config=[("0x" + "22" * 20, 100)], hints=["hash", "logs"], builders=["flashbots"],
    )  # fmt: skip
    assert p["inclusion"] == {"block": "0x64", "maxBlock": "0x69"}
    assert p["validity"] == {
        "refund": [{"bodyIdx": 0, "percent": 90}],
        "refundConfig": [{"address": "0x" + "22" * 20, "percent": 100}],
    }
    assert p["privacy"] == {"hints": ["hash", "logs"], "builders": ["flashbots"]}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"victim_hash": "0x12"}, "body[0].hash"),
        ({"backrun_raw": "12"}, "body[1].tx"),
        ({"backrun_raw": "0xzz"}, "body[1].tx"),
        ({"block": 0}, "inclusion.block"),
        ({"max_block": 99}, "inclusion.maxBlock"),
        ({"max_block": 131}, "inclusion.maxBlock"),
        ({"refund": [Refund(2, 10)]}, "validity.refund"),
        ({"refund": [Refund(0, 0)]}, "validity.refund"),
        ({"refund": [Refund(0, 60), Refund(1, 50)]}, "validity.refund"),
        ({"refund_config": [("nope", 10)]}, "validity.refundConfig"),
        ({"hints": ["everything"]}, "privacy.hints"),
    ],
)
def test_out_of_spec_fields_are_named(kwargs: dict, field: str) -> None:
    args = {"victim_hash": VICTIM, "backrun_raw": RAW, "block": 100, **kwargs}
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        send_bundle_params(**args)


def test_sent_signed_and_answered() -> None:
    async def main() -> None:
        signer = FlashbotsSigner.random()
        async with ScriptedServer(result({"bundleHash": BUNDLE_HASH})) as srv, MevShareClient(srv.url, signer) as c:
            params = send_bundle_params(VICTIM, RAW, 100)
            sent = await c.send_bundle(params)
        assert sent.bundle_hash == BUNDLE_HASH
        seen = srv.seen[0]
        assert seen.method == "mev_sendBundle" and seen.params == [params]
        assert verify(seen.headers[HEADER], seen.body) == signer.address  # over the exact bytes sent

    asyncio.run(main())


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (error(-32000, "unknown transaction"), EndpointRpcError),
        (Reply(403, {"error": "error in signature check 0x00"}), EndpointRpcError),
        (Reply(502, "bad gateway"), EndpointHttpError),
        (result({"nope": 1}), EndpointBadResponse),
        (result({"bundleHash": "0x12"}), EndpointBadResponse),
        (Reply(200, "garbage"), EndpointBadResponse),
    ],
)
def test_failures_are_classified_like_the_builder_client(reply: Reply, cls: type) -> None:
    async def main() -> None:
        async with ScriptedServer(reply) as srv, MevShareClient(srv.url, FlashbotsSigner.random()) as client:
            with pytest.raises(cls) as info:
                await client.send_bundle(send_bundle_params(VICTIM, RAW, 100))
            assert "mev_sendBundle" in str(info.value)

    asyncio.run(main())
