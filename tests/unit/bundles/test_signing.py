"""X-Flashbots-Signature: the spec's test vectors, round trips and the verifier's rejection rules."""

from __future__ import annotations

import logging
import pickle

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.execution.bundles.errors import SignatureError
from arbbot.execution.bundles.signing import HEADER, FlashbotsSigner, signed_message_text, verify

# bundles-spec A1 test vectors: (private key, exact body bytes, header)
VECTORS = [
    (
        "0xfad9c8855b740a0b7ed4c221dbad0f33a83a49cad6b3fe8d5817ac83d38b6a19",
        b"Hello",
        "0x96216849c49358B10257cb55b28eA603c874b05E:0x1446053488f02d460c012c84c4091cd5054d98c6cfca01b65f6c1a72773e80e6"
        "0b8a4931aeee7ed18ce3adb45b2107e8c59e25556c1f871a8334e30e5bddbed21c",
    ),
    (
        "0x0000000000000000000000000000000000000000000000000000000000123456",
        b"sign this message",
        "0xd5F5175D014F28c85F7D67A111C2c9335D7CD771:0x983dc7c520db0d287faff3cd0aef81d5a7f4ffd3473440d3f705da162997242"
        "71f660b6fe367f455b205bc014eff3e20defd011f92000f94d39365ca0bc786721b",
    ),
]


@pytest.mark.parametrize(("key", "body", "header"), VECTORS, ids=["go-utils", "alloy"])
def test_spec_vectors(key: str, body: bytes, header: str) -> None:
    signer = FlashbotsSigner(key)
    assert signer.sign(body) == header
    assert signer.headers(body) == {HEADER: header}
    assert verify(header, body) == header.split(":")[0]


def test_intermediate_hash_is_0x_prefixed_lowercase_string() -> None:
    assert signed_message_text(b"Hello") == "0x06b3dfaec148fb1bb2b066f10ec285e7c9bf402ab32aa78a5d38e34566810cd2"


def test_signature_is_over_hex_string_not_raw_hash() -> None:
    """The pitfall of web3 v7 / hexbytes 1.x: signing the hash bytes or the hex without 0x gives another header."""
    key, body, header = VECTORS[0]
    acct = Account.from_key(key)
    sig_hex = header.split(":")[1]
    no_prefix = acct.sign_message(encode_defunct(text=signed_message_text(body)[2:])).signature.to_0x_hex()
    raw_bytes = acct.sign_message(encode_defunct(primitive=bytes.fromhex(signed_message_text(body)[2:])))
    assert sig_hex not in (no_prefix, raw_bytes.signature.to_0x_hex())
    with pytest.raises(SignatureError):
        verify(f"{acct.address}:{no_prefix}", body)


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=512), other=st.binary(max_size=512))
def test_round_trip_and_body_binding(body: bytes, other: bytes) -> None:
    signer = FlashbotsSigner("0x" + "11" * 32)
    header = signer.sign(body)
    assert verify(header, body) == signer.address
    if other != body:
        with pytest.raises(SignatureError, match="error in signature check"):
            verify(header, other)


def _flip_v(header: str) -> str:
    addr, sig = header.split(":")
    v = int(sig[-2:], 16)
    return f"{addr}:{sig[:-2]}{v - 27:02x}"


def test_verify_accepts_v_0_1_and_lowercase_address() -> None:
    _, body, header = VECTORS[0]
    assert verify(_flip_v(header), body) == header.split(":")[0]
    assert verify(header.lower(), body) == header.split(":")[0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda h: "", "signature is required"),
        (lambda h: h.replace(":", ""), "expected '<address>:<signature>'"),
        (lambda h: h.replace(":0x", ":"), "lacks the 0x prefix"),
        (lambda h: h[:-2], "64 bytes"),
        (lambda h: h[:-2] + "1d", "invalid recovery id"),
        (lambda h: h[:-4] + "zz1c", "not hex"),
        (lambda h: "0x1234:" + h.split(":")[1], "not a 20-byte hex address"),
        (lambda h: "0x" + "ab" * 20 + ":" + h.split(":")[1], "error in signature check"),
    ],
    ids=["missing", "no-colon", "no-0x", "short", "bad-v", "not-hex", "bad-address", "wrong-address"],
)
def test_verify_rejects(mutate: object, message: str) -> None:
    _, body, header = VECTORS[0]
    with pytest.raises(SignatureError, match=message):
        verify(mutate(header), body)  # type: ignore[operator]


def test_key_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    key = "0x" + "42" * 32
    caplog.set_level(logging.DEBUG)
    signer = FlashbotsSigner(key)
    for text in (repr(signer), str(signer), f"{signer}"):
        assert "42" * 32 not in text and signer.address in text
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    bad = "0x" + "ff" * 31 + "zz"
    with pytest.raises(SignatureError) as info:
        FlashbotsSigner(bad)
    assert "ff" * 31 not in str(info.value) and info.value.__cause__ is None and info.value.__suppress_context__
    assert "42" * 32 not in caplog.text


def test_random_identity_is_distinct() -> None:
    a, b = FlashbotsSigner.random(), FlashbotsSigner.random()
    assert a.address != b.address
    assert verify(a.sign(b"x"), b"x") == a.address
