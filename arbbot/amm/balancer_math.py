"""Balancer V2 fixed-point arithmetic: 18-decimal products and quotients with their rounding, and `pow`.

Every value is an integer scaled by 1e18 (`ONE`). The rounding of each operation is part of the pool's
result to the wei, so each helper says which way it rounds. `pow_up`/`pow_down` bound the power from
above/below the way Balancer's pools do: exponents 1, 2 and 4 are computed by repeated multiplication,
any other through `log_exp_pow` with a relative error margin of 1e-14 (plus 1 wei) added or removed.

`log_exp_pow` follows the published LogExpMath algorithm (MIT licence; Fernando Martinelli, Sergio
Yuhjtman, Daniel Fernandez): `x^y = exp(y * ln(x))`, with `ln` reduced by dividing out e^(2^k) and
finished by the series of atanh, `exp` reduced by subtracting 2^k and finished by a 12-term Taylor
series, both in 20-decimal precision, and a 36-decimal `ln` for bases near 1. The contract computes in
signed 256-bit integers whose division truncates toward zero, so this module divides the same way
(`_tdiv`), never with Python's flooring `//` on a negative value. The e^(2^k) constants are the
contract's own (read from the deployed bytecode), which round their last digits as written below.

Pure integer math, no I/O. A case where the contract reverts raises `ContractRevert` with its
`BAL#` code.
"""

from __future__ import annotations

from arbbot.amm.errors import ContractRevert

ONE = 10**18
MAX_POW_RELATIVE_ERROR = 10_000  # 1e-14 in 18 decimals

# Balancer error codes this module raises.
ADD_OVERFLOW = 0
SUB_OVERFLOW = 1
MUL_OVERFLOW = 3
ZERO_DIVISION = 4
DIV_INTERNAL = 5
X_OUT_OF_BOUNDS = 6
Y_OUT_OF_BOUNDS = 7
PRODUCT_OUT_OF_BOUNDS = 8
INVALID_EXPONENT = 9

_ONE_20 = 10**20
_ONE_36 = 10**36
_MAX_NATURAL_EXPONENT = 130 * ONE
_MIN_NATURAL_EXPONENT = -41 * ONE
_LN_36_LOWER, _LN_36_UPPER = ONE - 10**17, ONE + 10**17
_MILD_EXPONENT_BOUND = 2**254 // _ONE_20

# The two largest reductions, in 18 decimals: 2^k and e^(2^k) as a whole number (no decimals).
_BIG_STEPS = (
    (128 * ONE, 38877084059945950922200000000000000000000000000000000000),
    (64 * ONE, 6235149080811616882910000000),
)
# The rest, 2^k and e^(2^k), both in 20 decimals (k = 5 .. -4). `exp` uses the first eight, `ln` all ten.
_STEPS_20 = (
    (32 * _ONE_20, 7896296018268069516100000000000000),
    (16 * _ONE_20, 888611052050787263676000000),
    (8 * _ONE_20, 298095798704172827474000),
    (4 * _ONE_20, 5459815003314423907810),
    (2 * _ONE_20, 738905609893065022723),
    (1 * _ONE_20, 271828182845904523536),
    (_ONE_20 // 2, 164872127070012814685),
    (_ONE_20 // 4, 128402541668774148407),
    (_ONE_20 // 8, 113314845306682631683),
    (_ONE_20 // 16, 106449445891785942956),
)
_EXP_TAYLOR_TERMS = 12


def revert(code: int, what: str) -> ContractRevert:
    """The error a `BAL#<code>` revert of the contract maps to (`code` zero-padded to three digits)."""
    return ContractRevert(f"BAL#{code:03d}: {what}")


def _tdiv(a: int, b: int) -> int:
    """Signed division truncating toward zero (the EVM's SDIV), unlike Python's flooring `//`."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _tmod(a: int, b: int) -> int:
    """Signed remainder with the dividend's sign (the EVM's SMOD)."""
    return a - _tdiv(a, b) * b


# -- 18-decimal fixed point (unsigned) ------------------------------------------------------------------


_UINT256 = 2**256


def _product(a: int, b: int) -> int:
    product = a * b
    if product >= _UINT256:
        raise revert(MUL_OVERFLOW, f"{a} * {b} overflows uint256")
    return product


def _inflated(a: int) -> int:
    inflated = a * ONE
    if inflated >= _UINT256:
        raise revert(DIV_INTERNAL, f"{a} * 1e18 overflows uint256")
    return inflated


def add(a: int, b: int) -> int:
    """`a + b` for unsigned 256-bit values; `BAL#000` on overflow."""
    total = a + b
    if total >= _UINT256:
        raise revert(ADD_OVERFLOW, f"{a} + {b} overflows uint256")
    return total


def sub(a: int, b: int) -> int:
    """`a - b` for unsigned values; `BAL#001` when it would go below zero."""
    if b > a:
        raise revert(SUB_OVERFLOW, f"{a} - {b} underflows")
    return a - b


def mul_down(a: int, b: int) -> int:
    """`a * b` in 18 decimals, rounded down; `BAL#003` when the product overflows uint256."""
    return _product(a, b) // ONE


def mul_up(a: int, b: int) -> int:
    """`a * b` in 18 decimals, rounded up (0 stays 0); `BAL#003` when the product overflows uint256."""
    product = _product(a, b)
    return 0 if product == 0 else (product - 1) // ONE + 1


def div_down(a: int, b: int) -> int:
    """`a / b` in 18 decimals, rounded down; `BAL#004` for a zero divisor, `BAL#005` when `a * 1e18` overflows."""
    if b == 0:
        raise revert(ZERO_DIVISION, "division by zero")
    return _inflated(a) // b


def div_up(a: int, b: int) -> int:
    """`a / b` in 18 decimals, rounded up (0 stays 0); `BAL#004` for a zero divisor, `BAL#005` on overflow."""
    if b == 0:
        raise revert(ZERO_DIVISION, "division by zero")
    return 0 if a == 0 else (_inflated(a) - 1) // b + 1


# -- plain unsigned integers (the Math library: no 18-decimal scaling) -----------------------------------


def mul(a: int, b: int) -> int:
    """`a * b` for unsigned 256-bit values; `BAL#003` on overflow."""
    return _product(a, b)


def int_div_down(a: int, b: int) -> int:
    """`a / b` rounded down; `BAL#004` for a zero divisor."""
    if b == 0:
        raise revert(ZERO_DIVISION, "division by zero")
    return a // b


def int_div_up(a: int, b: int) -> int:
    """`a / b` rounded up (0 stays 0); `BAL#004` for a zero divisor."""
    if b == 0:
        raise revert(ZERO_DIVISION, "division by zero")
    return 0 if a == 0 else (a - 1) // b + 1


def complement(x: int) -> int:
    """`1 - x`, floored at 0."""
    return ONE - x if x < ONE else 0


def pow_up(x: int, y: int) -> int:
    """`x^y` (18 decimals) rounded so the true power is never above it."""
    if y == ONE:
        return x
    if y == 2 * ONE:
        return mul_up(x, x)
    if y == 4 * ONE:
        square = mul_up(x, x)
        return mul_up(square, square)
    raw = log_exp_pow(x, y)
    return add(raw, add(mul_up(raw, MAX_POW_RELATIVE_ERROR), 1))


def pow_down(x: int, y: int) -> int:
    """`x^y` (18 decimals) rounded so the true power is never below it (floored at 0)."""
    if y == ONE:
        return x
    if y == 2 * ONE:
        return mul_down(x, x)
    if y == 4 * ONE:
        square = mul_down(x, x)
        return mul_down(square, square)
    raw = log_exp_pow(x, y)
    margin = add(mul_up(raw, MAX_POW_RELATIVE_ERROR), 1)
    return raw - margin if raw >= margin else 0


# -- LogExpMath (signed, 18-decimal in and out) ---------------------------------------------------------


def log_exp_pow(x: int, y: int) -> int:
    """`x^y` for 18-decimal `x` and `y` as LogExpMath computes it (before any error margin).

    `BAL#006` when `x` does not fit in int256, `BAL#007` for an exponent too large, `BAL#008` when
    `y * ln(x)` falls outside [-41, 130].
    """
    if y == 0:
        return ONE
    if x == 0:
        return 0
    if x >= 2**255:
        raise revert(X_OUT_OF_BOUNDS, f"pow base {x} out of bounds")
    if y >= _MILD_EXPONENT_BOUND:
        raise revert(Y_OUT_OF_BOUNDS, f"pow exponent {y} out of bounds")
    if _LN_36_LOWER < x < _LN_36_UPPER:
        ln_x = _ln_36(x)
        # 36-decimal log times 18-decimal exponent, split so the product keeps its precision in 256 bits.
        scaled = _tdiv(ln_x, ONE) * y + _tdiv(_tmod(ln_x, ONE) * y, ONE)
    else:
        scaled = _ln(x) * y
    scaled = _tdiv(scaled, ONE)
    if not _MIN_NATURAL_EXPONENT <= scaled <= _MAX_NATURAL_EXPONENT:
        raise revert(PRODUCT_OUT_OF_BOUNDS, f"pow({x}, {y}): y*ln(x) out of bounds")
    return _exp(scaled)


def _exp(x: int) -> int:
    """e^x for 18-decimal signed `x` in [-41, 130]."""
    if not _MIN_NATURAL_EXPONENT <= x <= _MAX_NATURAL_EXPONENT:
        raise revert(INVALID_EXPONENT, f"exp({x}) out of bounds")
    if x < 0:
        # e^-x = 1 / e^x, in 18 decimals.
        return ONE * ONE // _exp(-x)
    whole = 1
    for step, e_step in _BIG_STEPS:
        if x >= step:
            x -= step
            whole = e_step
            break  # at most one of the two: x < 130 < 128 + 64
    x *= 100  # to 20 decimals
    product = _ONE_20
    for step, e_step in _STEPS_20[:8]:
        if x >= step:
            x -= step
            product = product * e_step // _ONE_20
    series = _ONE_20 + x
    term = x
    for n in range(2, _EXP_TAYLOR_TERMS + 1):
        term = term * x // _ONE_20 // n
        series += term
    return product * series // _ONE_20 * whole // 100


def _ln(a: int) -> int:
    """ln(a) for 18-decimal `a > 0`, in 18 decimals (signed)."""
    if a < ONE:
        # ln(a) = -ln(1/a); 1/a is at least 1 so the reductions below apply.
        return -_ln(ONE * ONE // a)
    total = 0
    for step, e_step in _BIG_STEPS:
        if a >= e_step * ONE:
            a //= e_step
            total += step
    total *= 100
    a *= 100  # both to 20 decimals
    for step, e_step in _STEPS_20:
        if a >= e_step:
            a = a * _ONE_20 // e_step
            total += step
    # ln(a) = 2 * atanh(z) with z = (a - 1) / (a + 1): z + z^3/3 + z^5/5 + ... (a is now below e^(1/16)).
    z = (a - _ONE_20) * _ONE_20 // (a + _ONE_20)
    z_squared = z * z // _ONE_20
    num = z
    series = num
    for odd in (3, 5, 7, 9, 11):
        num = num * z_squared // _ONE_20
        series += num // odd
    return (total + series * 2) // 100


def _ln_36(x: int) -> int:
    """ln(x) for 18-decimal `x` near 1, in 36 decimals (signed, truncating as the contract does)."""
    x *= ONE
    # Every term of the series has the sign of z = (x - 1) / (x + 1), and truncating toward zero is flooring
    # the magnitude: sum the magnitudes with `//` and apply the sign once (the same integers, fewer steps).
    negative = x < _ONE_36
    z = abs(x - _ONE_36) * _ONE_36 // (x + _ONE_36)
    z_squared = z * z // _ONE_36
    num = z
    series = num
    for odd in (3, 5, 7, 9, 11, 13, 15):
        num = num * z_squared // _ONE_36
        series += num // odd
    return -2 * series if negative else 2 * series


MAX_BALANCE = 2**112 - 1  # the Vault packs each pool balance (cash + managed) in 112 bits


def book_swap(pool: str, balances: list[int], i: int, j: int, amount_in: int, amount_out: int) -> None:
    """Book a swap the Vault reported on a pool's `balances`: token `i` gains `amount_in`, token `j` pays `amount_out`.

    Raises `ValueError` (and changes nothing) for a swap the pool cannot have made: one token on both sides, a
    negative amount, more out than the pool holds or a balance past 112 bits.
    """
    if i == j or amount_in < 0 or amount_out < 0:
        raise ValueError(f"pool {pool}: swap event {i} -> {j} ({amount_in}, {amount_out})")
    if amount_out > balances[j] or balances[i] + amount_in > MAX_BALANCE:
        raise ValueError(f"pool {pool}: swap event out of range for balances {balances} ({amount_in}, {amount_out})")
    balances[i] += amount_in
    balances[j] -= amount_out
