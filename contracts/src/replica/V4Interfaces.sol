// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The parts of Uniswap V4's PoolManager interface the replica's hooks and helpers use, declared
///         here so they compile without the v4-core sources (same ABI).
struct PoolKey {
    address currency0;
    address currency1;
    uint24 fee;
    int24 tickSpacing;
    address hooks;
}

struct SwapParams {
    bool zeroForOne;
    int256 amountSpecified;
    uint160 sqrtPriceLimitX96;
}

interface IPoolManagerLike {
    function updateDynamicLPFee(PoolKey memory key, uint24 newDynamicLPFee) external;
    function take(address currency, address to, uint256 amount) external;
}
