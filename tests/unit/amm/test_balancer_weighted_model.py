"""The Balancer weighted-pool model's own guarantees, without a chain (its equality with the deployed pools is
tests/integration/amm/test_balancer_weighted_exactness.py).

- `log_exp_pow` stays within the 1e-14 relative error the pools' `pow_up` margin assumes, over the bases and
  exponents a weighted pool can produce, against a 60-digit decimal reference; `pow_up` is never below the
  true power and `pow_down` never above it.
- The e^(2^k) constants are the ones in the deployed WeightedPool bytecode.
- Signed division truncates toward zero like the EVM's SDIV/SMOD.
- Refusals, state changes and serialisation behave as documented.
"""

from __future__ import annotations

import json
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbbot.amm import balancer_math as bm
from arbbot.amm.balancer_weighted import BalancerWeightedPool, scaling_factor
from arbbot.amm.errors import ContractRevert, InvalidAmount
from arbbot.devnet import artifacts

ONE = 10**18
WETH, DAI, USDC = "0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20


def _pool(**kw: object) -> BalancerWeightedPool:
    args: dict[str, object] = {
        "address": "0xpool",
        "pool_id": "0x" + "00" * 32,
        "vault": "0xvault",
        "tokens": (WETH, DAI, USDC),
        "balances": [100 * ONE, 320_000 * ONE, 320_000 * 10**6],
        "weights": (5 * 10**17, 3 * 10**17, 2 * 10**17),
        "scaling_factors": (scaling_factor(18), scaling_factor(18), scaling_factor(6)),
        "swap_fee": 3 * 10**15,
    }
    args.update(kw)
    return BalancerWeightedPool(**args)  # type: ignore[arg-type]


def _true_pow(x: int, y: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(x) / ONE) ** (Decimal(y) / ONE) * ONE


# Bases a weighted swap raises to a power: b/(b+a) in [1/1.3, 1] (exact in), b/(b-a) in [1, 1/0.7] (exact out);
# exponents are weight ratios between 1%/99% and 99%/1%.
BASES = st.one_of(st.integers(769_230_769_230_769_231, ONE), st.integers(ONE, 1_428_571_428_571_428_572))
EXPONENTS = st.integers(10_101_010_101_010_101, 99 * ONE)


@settings(max_examples=1500, deadline=None)
@given(x=BASES, y=EXPONENTS)
def test_pow_is_within_the_margin_the_pools_assume(x: int, y: int) -> None:
    true = _true_pow(x, y)
    raw = bm.log_exp_pow(x, y)
    assert abs(Decimal(raw) - true) <= true * Decimal("1e-14") + 1
    assert bm.pow_up(x, y) >= true
    assert bm.pow_down(x, y) <= true


@pytest.mark.parametrize("y", [ONE, 2 * ONE, 4 * ONE])
def test_the_exponents_one_two_and_four_are_multiplied_out(y: int) -> None:
    x = 987_654_321_987_654_321
    n = y // ONE
    assert bm.pow_up(x, y) >= _true_pow(x, y) >= bm.pow_down(x, y)
    assert bm.pow_up(x, y) - bm.pow_down(x, y) <= n  # only the rounding of the products, no 1e-14 margin


def test_the_exp_constants_are_the_deployed_contracts() -> None:
    code = bytes.fromhex(artifacts.load("BalancerWeightedPoolFactory").bytecode[2:])
    pushed, k = set(), 0
    while k < len(code):
        op = code[k]
        if 0x60 <= op <= 0x7F:
            width = op - 0x5F
            pushed.add(int.from_bytes(code[k + 1 : k + 1 + width], "big"))
            k += 1 + width
        else:
            k += 1
    constants = [e for _, e in bm._BIG_STEPS] + [e for _, e in bm._STEPS_20]
    assert [c for c in constants if c not in pushed] == []


@pytest.mark.parametrize(
    ("a", "b", "q", "r"), [(7, 2, 3, 1), (-7, 2, -3, -1), (7, -2, -3, 1), (-7, -2, 3, -1), (-1, 10**18, 0, -1)]
)
def test_signed_division_truncates_toward_zero(a: int, b: int, q: int, r: int) -> None:
    assert (bm._tdiv(a, b), bm._tmod(a, b)) == (q, r)


def test_fixed_point_rounding_and_overflow() -> None:
    assert (bm.mul_down(3, ONE // 2), bm.mul_up(3, ONE // 2)) == (1, 2)
    assert (bm.div_down(1, 3 * ONE), bm.div_up(1, 3 * ONE)) == (0, 1)
    assert bm.mul_up(0, 5) == 0 and bm.div_up(0, 5) == 0
    assert bm.complement(ONE + 1) == 0
    with pytest.raises(ContractRevert, match="BAL#003"):
        bm.mul_down(2**200, 2**60)
    with pytest.raises(ContractRevert, match="BAL#004"):
        bm.div_up(1, 0)
    with pytest.raises(ContractRevert, match="BAL#005"):
        bm.div_down(2**250, 1)
    with pytest.raises(ContractRevert, match="BAL#001"):
        bm.sub(1, 2)


def test_refusals_name_the_contracts_codes() -> None:
    pool = _pool()
    with pytest.raises(ContractRevert, match="BAL#304"):
        pool.quote_exact_in(WETH, DAI, 40 * ONE)
    with pytest.raises(ContractRevert, match="BAL#305"):
        pool.quote_exact_out(WETH, USDC, 100_000 * 10**6)
    with pytest.raises(ContractRevert, match="BAL#509"):
        pool.quote_exact_in(DAI, DAI.upper().replace("0X", "0x"), ONE)  # same token in any letter case
    with pytest.raises(ContractRevert, match="BAL#510"):
        pool.quote_exact_in(WETH, DAI, 0)
    with pytest.raises(InvalidAmount, match="must be positive"):
        pool.quote_exact_out(WETH, DAI, -1)
    with pytest.raises(ValueError, match="is not one of"):
        pool.quote_exact_in("0x" + "44" * 20, DAI, ONE)
    with pytest.raises(ContractRevert, match="BAL#402"):
        _pool(paused=True).quote_exact_in(WETH, DAI, ONE)


def test_a_refused_swap_changes_nothing_and_an_accepted_one_moves_both_balances() -> None:
    pool = _pool()
    before = list(pool.balances)
    with pytest.raises(ContractRevert):
        pool.apply_swap(WETH, DAI, 40 * ONE)
    assert pool.balances == before
    quoted = pool.quote_exact_in(WETH, USDC, ONE)
    assert pool.apply_swap(WETH, USDC, ONE) == quoted
    assert pool.balances == [before[0] + ONE, before[1], before[2] - quoted]
    needed = pool.quote_exact_out(DAI, WETH, ONE)
    assert pool.apply_swap_exact_out(DAI, WETH, ONE) == needed
    assert pool.balances == [before[0], before[1] + needed, before[2] - quoted]


def test_a_swap_event_this_state_cannot_have_made_is_refused_and_changes_nothing() -> None:
    pool = _pool()
    before = list(pool.balances)
    for args in ((WETH, WETH, 1, 1), (WETH, DAI, -1, 1), (WETH, DAI, 1, before[1] + 1), (WETH, DAI, 2**112, 1)):
        with pytest.raises(ValueError, match="swap event"):
            pool.apply_swap_event(*args)
    assert pool.balances == before
    pool.apply_swap_event(WETH, DAI, 5, 7)
    assert pool.balances == [before[0] + 5, before[1] - 7, before[2]]


def test_the_fee_is_taken_on_the_input_side() -> None:
    free, charged = _pool(swap_fee=0), _pool(swap_fee=10**17)
    amount = 10**18
    assert charged.quote_exact_in(WETH, DAI, amount) == free.quote_exact_in(WETH, DAI, amount - amount // 10)
    needed = free.quote_exact_out(WETH, DAI, 3_000 * ONE)
    assert charged.quote_exact_out(WETH, DAI, 3_000 * ONE) == -(-needed * ONE // (ONE - 10**17))


def test_copy_and_serialisation_are_exact_and_independent() -> None:
    pool = _pool(balances=[2**111, 3 * ONE, 5])
    data = json.loads(json.dumps(pool.to_dict()))
    again = BalancerWeightedPool.from_dict(data)
    assert again == pool and again.to_dict() == pool.to_dict()
    twin = pool.copy()
    twin.apply_swap(DAI, WETH, 10**15)
    assert pool.balances == [2**111, 3 * ONE, 5]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"weights": (5 * 10**17, 3 * 10**17, 2 * 10**17 + 1)}, "weights"),
        ({"weights": (99 * 10**16, 10**16 - 1, 1)}, "weights"),
        ({"balances": [1, 2]}, "balances"),
        ({"tokens": (WETH, WETH.upper().replace("0X", "0x"), USDC)}, "tokens"),
        ({"tokens": (WETH,), "balances": [1], "weights": (ONE,), "scaling_factors": (ONE,)}, "tokens"),
        ({"swap_fee": ONE}, "swap_fee"),
        ({"balances": [2**112, 1, 1]}, "balances"),
        ({"scaling_factors": (ONE, ONE, 10**6)}, "scaling_factors"),
    ],
)
def test_bad_state_is_a_one_line_error_naming_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field) as err:
        _pool(**kw)
    assert "\n" not in str(err.value)


def test_scaling_factor_bounds() -> None:
    assert scaling_factor(6) == 10**12 * ONE
    with pytest.raises(ValueError, match="decimals"):
        scaling_factor(19)
