"""Off-chain pool address computation (CREATE2), as the factories and routers do it."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak, to_bytes, to_checksum_address

from arbbot.devnet.artifacts import (
    PANCAKE_V3_POOL_INIT_CODE_HASH,
    UNISWAP_V2_PAIR_INIT_CODE_HASH,
    UNISWAP_V3_POOL_INIT_CODE_HASH,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


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


def pancake_v3_pool_address(
    deployer: str, token_a: str, token_b: str, fee: int, init_code_hash: str = PANCAKE_V3_POOL_INIT_CODE_HASH
) -> str:
    """PancakeSwap V3: the same salt as Uniswap V3, but the CREATE2 sender is the pool deployer."""
    return v3_pool_address(deployer, token_a, token_b, fee, init_code_hash)


def v4_pool_id(currency0: str, currency1: str, fee: int, tick_spacing: int, hooks: str = ZERO_ADDRESS) -> str:
    """Uniswap V4 PoolId: keccak256(abi.encode(PoolKey)); currency0 < currency1, native ether is address 0."""
    if int(currency0, 16) >= int(currency1, 16):
        raise ValueError(f"currency0 {currency0} must sort below currency1 {currency1}")
    key = encode(["address", "address", "uint24", "int24", "address"], [currency0, currency1, fee, tick_spacing, hooks])
    return "0x" + keccak(key).hex()
