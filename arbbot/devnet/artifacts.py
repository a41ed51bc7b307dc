"""Protocol artifacts (ABI + creation bytecode) read from their npm packages, unmodified.

The only change ever applied to bytecode is library linking, which is what a real deployment does.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

from arbbot.artifact import Artifact
from arbbot.chain.addresses import (
    PANCAKE_V3_POOL_INIT_CODE_HASH,
    UNISWAP_V2_PAIR_INIT_CODE_HASH,
    UNISWAP_V3_POOL_INIT_CODE_HASH,
)
from arbbot.errors import ArtifactError
from arbbot.paths import checkout

__all__ = [
    "PANCAKE_V3_POOL_INIT_CODE_HASH",
    "PROTOCOL_ARTIFACTS",
    "UNISWAP_V2_PAIR_INIT_CODE_HASH",
    "UNISWAP_V3_POOL_INIT_CODE_HASH",
    "Artifact",
    "export_for_forge",
    "load",
    "permit2_runtime",
]

# name -> path inside node_modules. Versions are pinned in package.json / package-lock.json.
PROTOCOL_ARTIFACTS: dict[str, str] = {
    "WETH9": "canonical-weth/build/contracts/WETH9.json",
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "UniswapV3Factory": "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    "UniswapV3Pool": "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "SwapRouter": "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
    "NonfungibleTokenPositionDescriptor": (
        "@uniswap/v3-periphery/artifacts/contracts/"
        "NonfungibleTokenPositionDescriptor.sol/NonfungibleTokenPositionDescriptor.json"
    ),
    "NFTDescriptor": "@uniswap/v3-periphery/artifacts/contracts/libraries/NFTDescriptor.sol/NFTDescriptor.json",
    "QuoterV2": "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
    "BalancerAuthorizer": "@balancer-labs/v2-deployments/dist/tasks/20210418-authorizer/artifact/Authorizer.json",
    "BalancerVault": "@balancer-labs/v2-deployments/dist/tasks/20210418-vault/artifact/Vault.json",
    # Balancer V2 pools come from their factories. v2-deployments 3.2.0 (the newest on npm) ends at the
    # 2023-02-06 tasks: WeightedPoolFactory v3 and ComposableStablePoolFactory v3 (mainnet runs v4 and v6).
    "BalancerProtocolFeePercentagesProvider": (
        "@balancer-labs/v2-deployments/dist/tasks/20220725-protocol-fee-percentages-provider/"
        "artifact/ProtocolFeePercentagesProvider.json"
    ),
    "BalancerWeightedPoolFactory": (
        "@balancer-labs/v2-deployments/dist/tasks/20230206-weighted-pool-v3/artifact/WeightedPoolFactory.json"
    ),
    "BalancerWeightedPool": (
        "@balancer-labs/v2-deployments/dist/tasks/20230206-weighted-pool-v3/artifact/WeightedPool.json"
    ),
    "BalancerComposableStablePoolFactory": (
        "@balancer-labs/v2-deployments/dist/tasks/20230206-composable-stable-pool-v3/"
        "artifact/ComposableStablePoolFactory.json"
    ),
    "BalancerComposableStablePool": (
        "@balancer-labs/v2-deployments/dist/tasks/20230206-composable-stable-pool-v3/artifact/ComposableStablePool.json"
    ),
    # Uniswap V4: the singleton PoolManager and its periphery (foundry artifacts), UniversalRouter 2.x.
    "PoolManager": "@uniswap/v4-core/out/PoolManager.sol/PoolManager.json",
    "PositionManager": "@uniswap/v4-periphery/foundry-out/PositionManager.sol/PositionManager.json",
    "PositionDescriptor": "@uniswap/v4-periphery/foundry-out/PositionDescriptor.sol/PositionDescriptor.json",
    "StateView": "@uniswap/v4-periphery/foundry-out/StateView.sol/StateView.json",
    "V4Quoter": "@uniswap/v4-periphery/foundry-out/V4Quoter.sol/V4Quoter.json",
    "UniversalRouter": "@uniswap/universal-router/artifacts/contracts/UniversalRouter.sol/UniversalRouter.json",
    # UniversalRouter 1.6.0 (npm alias universal-router-v1): the command table of mainnet's "V1_2" router.
    "UniversalRouterV1_2": "@uniswap/universal-router-v1/artifacts/contracts/UniversalRouter.sol/UniversalRouter.json",
    # PancakeSwap V3: factory and pool from v3-core; the periphery (1.0.2 ships its artifacts, 1.0.3 does
    # not). The pool deployer is not published: contracts/src/replica/PancakeV3PoolDeployer.sol stands in.
    "PancakeV3Factory": "@pancakeswap/v3-core/artifacts/contracts/PancakeV3Factory.sol/PancakeV3Factory.json",
    "PancakeV3Pool": "@pancakeswap/v3-core/artifacts/contracts/PancakeV3Pool.sol/PancakeV3Pool.json",
    "PancakeSwapRouter": "@pancakeswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "PancakeNonfungiblePositionManager": (
        "@pancakeswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
    "PancakeQuoterV2": "@pancakeswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
}

# Permit2 ships no artifact; its canonical runtime code (what mainnet holds at PERMIT2_ADDRESS) is the
# hex literal in the permit2 test helper that v4-periphery bundles, placed at that address as on mainnet.
PERMIT2_ADDRESS = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
PERMIT2_SOURCE = "@uniswap/v4-periphery/lib/permit2/test/utils/DeployPermit2.sol"


def _as_hex(value: Any) -> str:
    # Artifacts store bytecode either as a string or as {"object": "..."}; some omit 0x.
    if isinstance(value, dict):
        value = value.get("object", "")
    if not isinstance(value, str):
        return "0x"
    return value if value.startswith("0x") else "0x" + value


def _nested_links(bytecode: Any) -> dict[str, dict[str, list[dict[str, int]]]]:
    # Foundry artifacts keep linkReferences inside the bytecode object.
    return (bytecode.get("linkReferences") or {}) if isinstance(bytecode, dict) else {}


@cache
def load(name: str) -> Artifact:
    """Load a protocol artifact by name (see PROTOCOL_ARTIFACTS)."""
    rel = PROTOCOL_ARTIFACTS.get(name)
    if rel is None:
        known = ", ".join(sorted(PROTOCOL_ARTIFACTS))
        raise ArtifactError(f"unknown artifact {name!r}; known: {known}")
    path = checkout(f"the protocol artifact {name}") / "node_modules" / rel
    if not path.is_file():
        raise ArtifactError(f"artifact {name} missing at {path}; run `make setup` (npm ci) first")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"artifact {name} at {path} is not valid JSON: {exc}") from exc
    abi = data.get("abi")
    bytecode = _as_hex(data.get("bytecode") or data.get("evm", {}).get("bytecode"))
    if not isinstance(abi, list) or len(bytecode) <= 2:
        raise ArtifactError(f"artifact {name} at {path} has no ABI or no bytecode")
    deployed = _as_hex(data.get("deployedBytecode") or data.get("evm", {}).get("deployedBytecode"))
    return Artifact(
        name=name,
        abi=abi,
        bytecode=bytecode,
        deployed_bytecode=deployed,
        link_references=data.get("linkReferences") or _nested_links(data.get("bytecode")),
        source=str(path),
    )


@cache
def permit2_runtime() -> str:
    """Permit2's runtime bytecode (0x-prefixed), read from the npm package."""
    path = checkout("Permit2's runtime code") / "node_modules" / PERMIT2_SOURCE
    try:
        text = path.read_text()
    except OSError as exc:
        raise ArtifactError(f"Permit2 source missing at {path}; run `make setup` (npm ci) first") from exc
    found = re.findall(r'hex"([0-9a-fA-F]+)"', text)
    if len(found) != 1 or len(found[0]) < 1000:
        raise ArtifactError(f"Permit2 runtime code not found in {path}")
    return "0x" + found[0]


def export_for_forge(out_dir: Path | None = None) -> Path:
    """Write every protocol artifact as {abi, bytecode{object}} JSON that `vm.getCode` can read.

    forge rejects some npm formats (the waffle format repeats `bytecode`), so tests read these copies.
    """
    out = out_dir or checkout("exporting artifacts for forge") / "contracts" / "artifacts" / "protocol"
    out.mkdir(parents=True, exist_ok=True)
    for name in PROTOCOL_ARTIFACTS:
        art = load(name)
        doc = {
            "abi": art.abi,
            "bytecode": {"object": art.bytecode},
            "deployedBytecode": {"object": art.deployed_bytecode},
        }
        _write(out / f"{name}.json", doc)
    permit2 = {"abi": [], "bytecode": {"object": "0x"}, "deployedBytecode": {"object": permit2_runtime()}}
    _write(out / "Permit2.json", permit2)
    return out


def _write(target: Path, doc: dict[str, Any]) -> None:
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(target)


if __name__ == "__main__":  # `python -m arbbot.devnet.artifacts export`
    if sys.argv[1:] != ["export"]:
        sys.exit("usage: python -m arbbot.devnet.artifacts export")
    try:
        print(export_for_forge())
    except ArtifactError as exc:
        sys.exit(f"error: {exc}")
