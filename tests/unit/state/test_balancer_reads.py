"""A Balancer pool's batch-read answers become a model only when every one is well formed and fits what the Vault
registered: the node's answers are ABI-encoded here with eth_abi as a node would return them, then spoiled one way at
a time (a revert, garbage, wrong lengths, weights off 1e18, a rate provider, a fee out of the pool's bounds, tokens
not the registered ones); each spoiled answer is refused with a reason naming it."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode

from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.chain.rpc import RpcError
from arbbot.state import balancer

POOL = "0x" + "0c" * 20
VAULT = "0x" + "ba" * 20
POOL_ID = POOL + "0001" + "00" * 10
TOKENS = ("0x" + "a1" * 20, "0x" + "b2" * 20)
ZERO = "0x" + "00" * 20
KIND = balancer.KINDS["balancer_weighted"]
TO_READ = balancer.PoolToRead("balancer_weighted", POOL_ID, POOL, VAULT, TOKENS)


def _hex(types: list[str], values: list[Any]) -> str:
    return "0x" + encode(types, values).hex()


def _answers(**spoil: Any) -> list[object]:
    """The node's answers in `KIND.calls` order after getPoolTokens, with the named ones replaced."""
    good: dict[str, object] = {
        "tokens": _hex(["address[]", "uint256[]", "uint256"], [list(TOKENS), [10**18, 5 * 10**6], 9]),
        "weights": _hex(["uint256[]"], [[8 * 10**17, 2 * 10**17]]),
        "scaling": _hex(["uint256[]"], [[10**18, 10**30]]),
        "swap_fee": _hex(["uint256"], [3 * 10**15]),
        "paused": _hex(["bool", "uint256", "uint256"], [False, 1, 2]),
        "rate_providers": _hex(["address[]"], [[ZERO, ZERO]]),
    }
    good.update(spoil)
    return [good["tokens"], *(good[c.name] for c in KIND.calls)]


def test_good_answers_build_the_model() -> None:
    model = balancer._build(TO_READ, _answers(), KIND)
    assert isinstance(model, BalancerWeightedPool)
    assert (
        model.to_dict()
        == BalancerWeightedPool(
            POOL, POOL_ID, VAULT, TOKENS, [10**18, 5 * 10**6], (8 * 10**17, 2 * 10**17), (10**18, 10**30), 3 * 10**15
        ).to_dict()
    )
    paused = balancer._build(TO_READ, _answers(paused=_hex(["bool", "uint256", "uint256"], [True, 1, 2])), KIND)
    assert paused.paused


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        ({"weights": RpcError("eth_call", 3, "execution reverted")}, "getNormalizedWeights.*failed"),
        ({"tokens": None}, "getPoolTokens answered"),
        ({"scaling": "0x1234"}, "getScalingFactors.*malformed"),
        ({"swap_fee": "0xzz"}, "getSwapFeePercentage.*malformed"),
        ({"tokens": _hex(["address[]", "uint256[]", "uint256"], [list(reversed(TOKENS)), [1, 2], 0])}, "registered"),
        ({"tokens": _hex(["address[]", "uint256[]", "uint256"], [[TOKENS[0]], [1], 0])}, "registered"),
        ({"tokens": _hex(["address[]", "uint256[]", "uint256"], [list(TOKENS), [1], 0])}, "balances"),
        ({"tokens": _hex(["address[]", "uint256[]", "uint256"], [list(TOKENS), [2**112, 1], 0])}, "balances"),
        ({"weights": _hex(["uint256[]"], [[10**18]])}, "1 weights"),
        ({"weights": _hex(["uint256[]"], [[8 * 10**17, 2 * 10**17 + 1]])}, "sum to 1e18"),
        ({"weights": _hex(["uint256[]"], [[10**18 - 10**15, 10**15]])}, "sum to 1e18"),  # below the 1% minimum
        ({"scaling": _hex(["uint256[]"], [[10**18, 10**18, 10**18]])}, "3 scaling factors"),
        ({"scaling": _hex(["uint256[]"], [[10**18, 10**17]])}, "scaling_factors"),
        ({"rate_providers": _hex(["address[]"], [[ZERO, "0x" + "77" * 20]])}, "rate providers"),
        ({"rate_providers": _hex(["address[]"], [[ZERO]])}, "1 rate providers"),
        ({"swap_fee": _hex(["uint256"], [10**17 + 1])}, "swap fee"),
        ({"swap_fee": _hex(["uint256"], [0])}, "swap fee"),
    ],
)
def test_spoiled_answers_are_refused_with_a_reason(spoil: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        balancer._build(TO_READ, _answers(**spoil), KIND)
