"""Anchor IDL: read the format Anchor >= 0.30 emits and convert it to the legacy format anchorpy 0.21 reads.

The converter is strict: whatever it cannot express in the legacy format (custom discriminators,
zero-copy layouts, generics) is an IdlError naming the item, instead of an encoder that would write
different bytes than the program reads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from anchorpy_core.idl import Idl

from arbbot.compiled import ARB_EXECUTOR_IDL
from arbbot.solana.errors import IdlError
from arbbot.solana.programs import anchor_account_discriminator, anchor_instruction_discriminator

__all__ = ["ARB_EXECUTOR_IDL", "load_legacy_idl", "load_new_format", "to_legacy"]

_PRIMITIVES = {
    "bool", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "u64", "i64", "f64", "u128", "i128", "u256", "i256",
    "bytes", "string",
}  # fmt: skip
_EVENT_PREFIX = "event:"


def _type(t: Any, where: str) -> Any:
    """One IDL type expression, new format -> legacy."""
    if isinstance(t, str):
        if t == "pubkey":
            return "publicKey"
        if t in _PRIMITIVES:
            return t
        raise IdlError(f"{where}: unknown type {t!r}")
    if not isinstance(t, dict) or len(t) != 1:
        raise IdlError(f"{where}: malformed type {t!r}")
    kind, inner = next(iter(t.items()))
    if kind in ("vec", "option", "coption"):
        if kind == "coption":
            raise IdlError(f"{where}: COption has no legacy IDL form")
        return {kind: _type(inner, where)}
    if kind == "array":
        if not (isinstance(inner, list) and len(inner) == 2 and isinstance(inner[1], int)):
            raise IdlError(f"{where}: array length must be a literal, got {inner!r}")
        return {"array": [_type(inner[0], where), inner[1]]}
    if kind == "defined":
        if isinstance(inner, str):
            return {"defined": inner}
        if isinstance(inner, dict) and "name" in inner:
            if inner.get("generics"):
                raise IdlError(f"{where}: generic type {inner['name']} has no legacy IDL form")
            return {"defined": inner["name"]}
    if kind == "generic":
        raise IdlError(f"{where}: generic parameter {inner!r} has no legacy IDL form")
    raise IdlError(f"{where}: unsupported type {t!r}")


def _fields(fields: Any, where: str) -> list[Any]:
    """Named fields [{name, type}] or tuple fields [type, ...]."""
    out: list[Any] = []
    for i, f in enumerate(fields or []):
        if isinstance(f, dict) and "name" in f and "type" in f:
            out.append({"name": f["name"], "type": _type(f["type"], f"{where}.{f['name']}")})
        else:
            out.append(_type(f, f"{where}[{i}]"))
    return out


def _type_def(td: dict[str, Any]) -> dict[str, Any]:
    name = td.get("name")
    ty = td.get("type") or {}
    where = f"type {name}"
    if td.get("generics"):
        raise IdlError(f"{where}: generics have no legacy IDL form")
    serialization = td.get("serialization", "borsh")
    if serialization != "borsh":
        raise IdlError(f"{where}: serialization {serialization!r} (zero-copy) cannot be encoded by anchorpy")
    kind = ty.get("kind")
    if kind == "struct":
        return {"name": name, "type": {"kind": "struct", "fields": _fields(ty.get("fields"), where)}}
    if kind == "enum":
        variants = []
        for v in ty.get("variants", []):
            variant: dict[str, Any] = {"name": v["name"]}
            if v.get("fields"):
                variant["fields"] = _fields(v["fields"], f"{where}::{v['name']}")
            variants.append(variant)
        return {"name": name, "type": {"kind": "enum", "variants": variants}}
    if kind == "type":
        return {"name": name, "type": {"kind": "alias", "value": _type(ty.get("alias"), where)}}
    raise IdlError(f"{where}: unsupported kind {kind!r}")


def _accounts(items: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in items:
        if "accounts" in a:  # a composite (nested Accounts struct)
            out.append({"name": a["name"], "accounts": _accounts(a["accounts"], f"{where}.{a['name']}")})
            continue
        item: dict[str, Any] = {
            "name": a["name"],
            "isMut": bool(a.get("writable", False)),
            "isSigner": bool(a.get("signer", False)),
        }
        if a.get("optional"):
            item["isOptional"] = True
        if a.get("docs"):
            item["docs"] = a["docs"]
        out.append(item)
    return out


def _check_discriminator(what: str, name: str, got: Any, expected: bytes) -> None:
    if got is None:
        return
    if bytes(got) != expected:
        raise IdlError(
            f"{what} {name}: discriminator {bytes(got).hex()} is not the default {expected.hex()}; "
            "anchorpy 0.21 derives discriminators from names and would encode different bytes"
        )


def _error(e: dict[str, Any]) -> dict[str, Any]:
    out = {"code": e["code"], "name": e["name"]}
    if "msg" in e:
        out["msg"] = e["msg"]
    return out


def to_legacy(idl: dict[str, Any]) -> dict[str, Any]:
    """Convert an Anchor >= 0.30 IDL (dict) to the pre-0.30 ("legacy") format (dict)."""
    if "metadata" not in idl or "address" not in idl:
        if "version" in idl and "name" in idl:
            return idl  # already legacy
        raise IdlError("IDL has neither the new (address, metadata) nor the legacy (name, version) header")
    meta = idl["metadata"]
    types = {t["name"]: t for t in idl.get("types", [])}
    account_names = {a["name"] for a in idl.get("accounts", [])}
    event_names = {e["name"] for e in idl.get("events", [])}

    instructions = []
    for ix in idl.get("instructions", []):
        name = ix["name"]
        _check_discriminator("instruction", name, ix.get("discriminator"), anchor_instruction_discriminator(name))
        instructions.append(
            {
                "name": name,
                "accounts": _accounts(ix.get("accounts", []), f"instruction {name}"),
                "args": _fields(ix.get("args", []), f"instruction {name}"),
            }
        )

    accounts = []
    for acc in idl.get("accounts", []):
        name = acc["name"]
        _check_discriminator("account", name, acc.get("discriminator"), anchor_account_discriminator(name))
        if name not in types:
            raise IdlError(f"account {name}: no type definition in the IDL")
        accounts.append(_type_def(types[name]))

    events = []
    for ev in idl.get("events", []):
        name = ev["name"]
        expected = hashlib.sha256(f"{_EVENT_PREFIX}{name}".encode()).digest()[:8]
        _check_discriminator("event", name, ev.get("discriminator"), expected)
        if name not in types:
            raise IdlError(f"event {name}: no type definition in the IDL")
        fields = _type_def(types[name])["type"].get("fields", [])
        events.append({"name": name, "fields": [{**f, "index": False} for f in fields]})

    legacy: dict[str, Any] = {
        "version": meta.get("version", "0.1.0"),
        "name": meta.get("name"),
        "instructions": instructions,
        "accounts": accounts,
        "types": [_type_def(t) for n, t in types.items() if n not in account_names and n not in event_names],
        "events": events,
        "errors": [_error(e) for e in idl.get("errors", [])],
        "metadata": {"address": idl["address"]},
    }
    if idl.get("constants"):
        legacy["constants"] = [
            {"name": c["name"], "type": _type(c["type"], f"constant {c['name']}"), "value": c["value"]}
            for c in idl["constants"]
        ]
    return legacy


def load_new_format(path: Path = ARB_EXECUTOR_IDL) -> dict[str, Any]:
    """The new-format (Anchor >= 0.30) IDL at `path` as parsed JSON.

    Raises `IdlError` when the file is missing, is not JSON or is not a JSON object.
    """
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise IdlError(f"IDL file {path} does not exist") from None
    except ValueError as exc:
        raise IdlError(f"IDL file {path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise IdlError(f"IDL file {path}: top level is not an object")
    return data


def load_legacy_idl(path: Path = ARB_EXECUTOR_IDL) -> Idl:
    """The IDL at `path`, converted and parsed into anchorpy's Idl."""
    legacy = to_legacy(load_new_format(path))
    try:
        return Idl.from_json(json.dumps(legacy))
    except Exception as exc:  # anchorpy_core raises its own serde error types
        raise IdlError(f"IDL {path}: anchorpy cannot parse the converted IDL: {exc}") from None
