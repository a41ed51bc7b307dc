"""Off-chain pool address computation (CREATE2), as the factories and routers do it."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak, to_bytes, to_checksum_address

# Mainnet init code hashes (the npm protocol bytecode hashes to them too, so the replica's pools sit at
# the addresses these give).
UNISWAP_V2_PAIR_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"
UNISWAP_V3_POOL_INIT_CODE_HASH = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
# PancakeSwap V3 pools are CREATE2-deployed by the pool deployer (not the factory) from this code hash.
PANCAKE_V3_POOL_INIT_CODE_HASH = "0x6ce8eb472fa82df5469c6ab6d485f17c3ad13c8cd7af59b3d4a8026c5ce0f7e2"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def sort_tokens(a: str, b: str) -> tuple[str, str]:
    """The pair in the pools' own order (lower address first, as Uniswap sorts them); equal addresses raise
    ValueError."""
    if a.lower() == b.lower():
        raise ValueError(f"identical token addresses: {a}")
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def _create2(deployer: str, salt: bytes, init_code_hash: str) -> str:
    digest = keccak(b"\xff" + to_bytes(hexstr=deployer) + salt + to_bytes(hexstr=init_code_hash))
    return to_checksum_address(digest[12:])


def v2_pair_address(
    factory: str, token_a: str, token_b: str, init_code_hash: str = UNISWAP_V2_PAIR_INIT_CODE_HASH
) -> str:
    """The Uniswap V2 pair address of two tokens under `factory`, derived by CREATE2 (no node asked).

    Pass the fork's init-code hash for a V2 fork (SushiSwap and others use their own)."""
    t0, t1 = sort_tokens(token_a, token_b)
    return _create2(factory, keccak(to_bytes(hexstr=t0) + to_bytes(hexstr=t1)), init_code_hash)


def v3_pool_address(
    factory: str, token_a: str, token_b: str, fee: int, init_code_hash: str = UNISWAP_V3_POOL_INIT_CODE_HASH
) -> str:
    """The Uniswap V3 pool address of two tokens and a fee tier (hundredths of a bip) under `factory`, by CREATE2.

    For PancakeSwap V3 pass its pool deployer as `factory` and its init-code hash."""
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
