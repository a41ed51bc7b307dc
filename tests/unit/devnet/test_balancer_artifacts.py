"""The Balancer V2 pool factories the replica deploys: present in the pinned npm package, deployable as
they are (no library placeholders) and with the constructor and `create` the replica calls."""

from __future__ import annotations

from typing import Any

import pytest

from arbbot.devnet import artifacts

ADDRESS_ARRAY = "address[]"


def _inputs(abi: list[dict[str, Any]], kind: str, name: str | None = None) -> list[str]:
    found = [e for e in abi if e.get("type") == kind and (name is None or e.get("name") == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''} in the ABI, found {len(found)}"
    return [i["type"] for i in found[0]["inputs"]]


@pytest.mark.parametrize(
    "name",
    [
        "BalancerAuthorizer",
        "BalancerVault",
        "BalancerProtocolFeePercentagesProvider",
        "BalancerWeightedPoolFactory",
        "BalancerWeightedPool",
        "BalancerComposableStablePoolFactory",
        "BalancerComposableStablePool",
    ],
)
def test_artifact_deploys_without_linking(name: str) -> None:
    art = artifacts.load(name)
    assert not art.link_references
    assert "__$" not in art.bytecode
    # creation code carries the runtime code; a cut or empty artifact fails here
    assert len(art.bytecode) > len(art.deployed_bytecode) > 2


def test_factories_take_vault_fee_provider_and_versions() -> None:
    for name in ("BalancerWeightedPoolFactory", "BalancerComposableStablePoolFactory"):
        assert _inputs(artifacts.load(name).abi, "constructor") == ["address", "address", "string", "string"]
    provider = artifacts.load("BalancerProtocolFeePercentagesProvider").abi
    assert _inputs(provider, "constructor") == ["address", "uint256", "uint256"]


def test_create_signatures_are_the_v3_factories() -> None:
    weighted = _inputs(artifacts.load("BalancerWeightedPoolFactory").abi, "function", "create")
    assert weighted == ["string", "string", ADDRESS_ARRAY, "uint256[]", ADDRESS_ARRAY, "uint256", "address"]
    stable = _inputs(artifacts.load("BalancerComposableStablePoolFactory").abi, "function", "create")
    assert stable == [
        "string", "string", ADDRESS_ARRAY, "uint256", ADDRESS_ARRAY, "uint256[]", "bool[]", "uint256", "address",
    ]  # fmt: skip


def test_pools_expose_the_swap_hooks_the_models_mirror() -> None:
    weighted = {e.get("name") for e in artifacts.load("BalancerWeightedPool").abi}
    assert {"onSwap", "getNormalizedWeights", "getPoolId", "getSwapFeePercentage", "getScalingFactors"} <= weighted
    stable = {e.get("name") for e in artifacts.load("BalancerComposableStablePool").abi}
    assert {"onSwap", "getAmplificationParameter", "getBptIndex", "getTokenRate", "getScalingFactors"} <= stable
