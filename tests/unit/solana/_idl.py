"""An IDL in the format Anchor >= 0.30 emits, for the converter tests (the program's own IDL is tested too)."""

from __future__ import annotations

import hashlib
from typing import Any


def disc(prefix: str, name: str) -> list[int]:
    return list(hashlib.sha256(f"{prefix}:{name}".encode()).digest()[:8])


def sample_idl() -> dict[str, Any]:
    return {
        "address": "Arb1111111111111111111111111111111111111111",
        "metadata": {"name": "arb_executor", "version": "0.1.0", "spec": "0.1.0", "description": "sample"},
        "instructions": [
            {
                "name": "execute_route",
                "discriminator": disc("global", "execute_route"),
                "accounts": [
                    {"name": "authority", "writable": True, "signer": True},
                    {"name": "source_token", "writable": True},
                    {"name": "token_program", "address": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"},
                ],
                "args": [
                    {"name": "amount_in", "type": "u64"},
                    {"name": "min_profit", "type": "u64"},
                    {"name": "hops", "type": {"vec": {"defined": {"name": "RouteHop"}}}},
                ],
            }
        ],
        "events": [{"name": "RouteExecuted", "discriminator": disc("event", "RouteExecuted")}],
        "errors": [{"code": 6000, "name": "Unprofitable", "msg": "final balance below start + min_profit"}],
        "types": [
            {
                "name": "RouteExecuted",
                "type": {
                    "kind": "struct",
                    "fields": [
                        {"name": "authority", "type": "pubkey"},
                        {"name": "amount_in", "type": "u64"},
                        {"name": "amount_out", "type": "u64"},
                        {"name": "hops", "type": {"array": ["u8", 4]}},
                    ],
                },
            },
            {
                "name": "RouteHop",
                "type": {
                    "kind": "struct",
                    "fields": [
                        {"name": "venue", "type": {"defined": {"name": "Venue"}}},
                        {"name": "num_accounts", "type": "u8"},
                        {"name": "a_to_b", "type": "bool"},
                    ],
                },
            },
            {
                "name": "Venue",
                "type": {
                    "kind": "enum",
                    "variants": [{"name": "SplTokenSwap"}, {"name": "RaydiumAmmV4"}, {"name": "OrcaWhirlpool"}],
                },
            },
        ],
    }
