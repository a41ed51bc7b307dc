"""TickBitmap over a plain dict (word position -> 256-bit word)."""

from __future__ import annotations

from arbbot.amm.errors import ContractRevert


def position(compressed: int) -> tuple[int, int]:
    """Split a compressed tick (tick // spacing) into its bitmap word position and bit index."""
    return compressed >> 8, compressed & 0xFF


def flip_tick(bitmap: dict[int, int], tick: int, spacing: int) -> None:
    """`TickBitmap.flipTick`: toggle `tick`'s bit, dropping words that become zero.

    Raises `ContractRevert` when `tick` is not a multiple of `spacing`.
    """
    if tick % spacing:
        raise ContractRevert(f"TickBitmap.flipTick: tick {tick} not a multiple of spacing {spacing}")
    word, bit = position(tick // spacing)
    value = bitmap.get(word, 0) ^ (1 << bit)
    if value:
        bitmap[word] = value
    else:
        bitmap.pop(word, None)


def next_initialized_tick_within_one_word(
    bitmap: dict[int, int], tick: int, spacing: int, lte: bool
) -> tuple[int, bool]:
    """`nextInitializedTickWithinOneWord`: next initialized tick at/below (`lte`) or above `tick`, in one word.

    Returns the tick and whether it is initialized; when none is, the word's boundary tick and `False`, as the
    contract does.
    """
    # The contract truncates, then steps down for negative non-multiples: that is floor division.
    compressed = tick // spacing
    if lte:
        word, bit = position(compressed)
        masked = bitmap.get(word, 0) & ((1 << bit) - 1 + (1 << bit))
        if masked:
            return (compressed - (bit - (masked.bit_length() - 1))) * spacing, True
        return (compressed - bit) * spacing, False
    word, bit = position(compressed + 1)
    masked = bitmap.get(word, 0) & ~((1 << bit) - 1) & ((1 << 256) - 1)
    if masked:
        lsb = (masked & -masked).bit_length() - 1
        return (compressed + 1 + (lsb - bit)) * spacing, True
    return (compressed + 1 + (255 - bit)) * spacing, False
