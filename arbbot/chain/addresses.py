"""Off-chain pool address computation (CREATE2), as the factories and routers do it."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak, to_bytes, to_checksum_address

from arbbot.devnet.artifacts import UNISWAP_V2_PAIR_INIT_CODE_HASH, UNISWAP_V3_POOL_INIT_CODE_HASH


def sort_tokens(a: str, b: str) -> tuple[str, str]:
    if a.lower() == b.lower():
        raise ValueError(f"identical token addresses: {a}")
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def _create2(deployer: str, salt: bytes, init_code_hash: str) -> str:
    digest = keccak(b"\xff" + to_bytes(hexstr=deployer) + salt + to_bytes(hexstr=init_code_hash))
    return to_checksum_address(digest[12:])


def v2_pair_address(
    factory: str, token_a: str, token_b: str, init_code_hash: str = UNISWAP_V2_PAIR_INIT_CODE_HASH
) -> str:
    t0, t1 = sort_tokens(token_a, token_b)
    return _create2(factory, keccak(to_bytes(hexstr=t0) + to_bytes(hexstr=t1)), init_code_hash)


def v3_pool_address(
    factory: str, token_a: str, token_b: str, fee: int, init_code_hash: str = UNISWAP_V3_POOL_INIT_CODE_HASH
) -> str:
    t0, t1 = sort_tokens(token_a, token_b)
    salt = keccak(encode(["address", "address", "uint24"], [t0, t1, fee]))
    return _create2(factory, salt, init_code_hash)
