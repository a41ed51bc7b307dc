"""The `X-Flashbots-Signature` header: `<checksum address>:0x<65-byte signature>`.

Construction (bundles-spec A1, matching flashbots/go-utils, ethers, web3-flashbots and alloy):

    h       = keccak256(body_bytes)                  # the exact bytes sent
    message = "0x" + lowercase_hex(h)                # a 66-char STRING, not the 32 bytes
    sig     = personal_sign(message)                 # EIP-191: "\\x19Ethereum Signed Message:\\n66" + message
    header  = checksum(address) + ":" + "0x" + hex(r || s || v), v in {27, 28}

The signing key is a *reputation* key only: it never holds funds and is never the key that signs
transactions. It is kept inside `FlashbotsSigner` and never appears in its repr, in errors or in logs.
"""

from __future__ import annotations

from typing import NoReturn

from eth_account import Account
from eth_account.messages import defunct_hash_message, encode_defunct
from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import is_hex_address, keccak, to_checksum_address

from arbbot.execution.bundles.errors import SignatureError

HEADER = "X-Flashbots-Signature"


def signed_message_text(body: bytes) -> str:
    """The text that is personal-signed for `body`: '0x' + lowercase hex of keccak256(body)."""
    return "0x" + keccak(body).hex()


class FlashbotsSigner:
    """Signs request bodies with a reputation key. Holds the key privately; repr shows only the address."""

    __slots__ = ("_account",)

    def __init__(self, private_key: str | bytes) -> None:
        try:
            self._account = Account.from_key(private_key)
        except (ValueError, TypeError, ValidationError):
            # `from None`: the original exception may echo the value; the key must never be printed.
            raise SignatureError("reputation key is not a valid secp256k1 private key") from None

    @classmethod
    def random(cls) -> FlashbotsSigner:
        """A fresh throwaway identity (fine for builders that only use the key for reputation)."""
        return cls(Account.create().key)

    @property
    def address(self) -> str:
        """The reputation key's checksum address (the key itself is never exposed)."""
        return str(self._account.address)

    def sign(self, body: bytes) -> str:
        """The header value for exactly these body bytes."""
        signed = self._account.sign_message(encode_defunct(text=signed_message_text(body)))
        return f"{self.address}:{signed.signature.to_0x_hex()}"

    def headers(self, body: bytes) -> dict[str, str]:
        """The `X-Flashbots-Signature` header for exactly these body bytes."""
        return {HEADER: self.sign(body)}

    def __repr__(self) -> str:
        return f"FlashbotsSigner(address={self.address})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:  # pickling would copy the key somewhere we do not control
        raise TypeError("FlashbotsSigner cannot be pickled")


def verify(header: str | None, body: bytes) -> str:
    """Check a header against the body; return the signer's checksum address or raise SignatureError.

    Rules of flashbots/go-utils `signature.Verify`: split on the first ':'; the signature must be
    0x-prefixed hex of 65 bytes; v may be 0/1 or 27/28; the recovered address must equal the claimed
    one (case-insensitive).
    """
    if not header:
        raise SignatureError("signature is required")
    claimed, sep, sig_text = header.strip().partition(":")
    if not sep:
        raise SignatureError("malformed signature header: expected '<address>:<signature>'")
    if not is_hex_address(claimed):
        raise SignatureError("malformed signature header: address part is not a 20-byte hex address")
    if sig_text[:2] not in ("0x", "0X"):
        raise SignatureError("malformed signature header: signature lacks the 0x prefix")
    try:
        sig = bytes.fromhex(sig_text[2:])
    except ValueError:
        raise SignatureError("malformed signature header: signature is not hex") from None
    if len(sig) != 65:
        raise SignatureError(f"malformed signature header: signature has {len(sig)} bytes, expected 65")
    v = sig[64] - 27 if sig[64] >= 27 else sig[64]
    if v > 1:
        raise SignatureError("malformed signature header: invalid recovery id")
    digest = defunct_hash_message(text=signed_message_text(body))
    try:
        signature = keys.Signature(vrs=(v, int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")))
        recovered = signature.recover_public_key_from_msg_hash(bytes(digest)).to_checksum_address()
    except (BadSignature, ValidationError):
        raise SignatureError(f"error in signature check {to_checksum_address(claimed)}") from None
    if recovered.lower() != claimed.lower():
        raise SignatureError(f"error in signature check {to_checksum_address(claimed)}")
    return str(recovered)
