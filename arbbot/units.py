"""Amounts for people: raw integer units (wei) as decimal text in token units. Pure, exact, no I/O.

Display only: exports and the database keep the raw integers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenInfo:
    """What is needed to show a token's amounts: its symbol and decimals (`None`: unknown, amounts stay raw)."""

    symbol: str
    decimals: int | None  # None: unknown, amounts stay in raw units


ETH = TokenInfo("ETH", 18)


def short_address(address: str) -> str:
    """0x1234…abcd: enough to tell tokens apart, short enough for a table cell."""
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address


def _group(digits: str) -> str:
    return f"{int(digits):,}"


def amount(raw: int, decimals: int, *, places: int | None = 6, sig: int = 3, group: bool = True) -> str:
    """`raw` smallest units as a decimal number of whole units, cut toward zero.

    places=None: exact (every non-zero digit, no trailing zeros). Otherwise at least `places` decimals,
    and more when needed to show `sig` significant digits of a small amount, so a real amount never
    reads as zero (1 wei of an 18-decimal token is 0.000000000000000001)."""
    if decimals < 0:
        raise ValueError(f"decimals: must be >= 0, got {decimals}")
    sign = "-" if raw < 0 else ""
    whole, frac = divmod(abs(raw), 10**decimals)
    frac_text = f"{frac:0{decimals}d}" if decimals else ""
    if places is None:
        shown = frac_text.rstrip("0")
    else:
        need = places
        if whole == 0 and frac:
            first = len(frac_text) - len(frac_text.lstrip("0")) + 1  # position of the first significant digit
            need = max(places, first + sig - 1)
        need = min(need, decimals)
        shown = frac_text[:need]
        if len(shown) > places:
            shown = shown[:places] + shown[places:].rstrip("0")
    head = _group(str(whole)) if group else str(whole)
    return f"{sign}{head}.{shown}" if shown else f"{sign}{head}"


def token_amount(raw: int, token: str, tokens: dict[str, TokenInfo], *, places: int | None = 6) -> str:
    """`raw` units of `token` with its symbol ("1.5 WETH"), or raw units and a short address if its
    decimals are unknown ("1500 0x1234…abcd (raw)")."""
    info = tokens.get(token.lower())
    if info is None or info.decimals is None:
        name = info.symbol if info is not None and info.symbol else short_address(token)
        return f"{raw:,} {name} (raw)"
    return f"{amount(raw, info.decimals, places=places)} {info.symbol or short_address(token)}"


def symbol(token: str, tokens: dict[str, TokenInfo]) -> str:
    """The token's symbol from `tokens` (keyed by lower-case address), else its shortened address."""
    info = tokens.get(token.lower())
    return info.symbol if info is not None and info.symbol else short_address(token)
