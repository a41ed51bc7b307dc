// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IUniswapV3PoolTicks {
    function ticks(int24 tick)
        external
        view
        returns (uint128 liquidityGross, int128 liquidityNet, uint256, uint256, int56, uint160, uint32, bool);
}

/// @title V3TicksReader
/// @notice Deployless batch read of initialized ticks: for (pool, tick) pairs returns
///         liquidityGross (uint128) | liquidityNet (int128), 32 bytes per entry, in input order.
contract V3TicksReader {
    constructor(address[] memory pools, int24[] memory tickIds) {
        require(pools.length == tickIds.length, "length mismatch");
        bytes memory out = new bytes(tickIds.length * 32);
        for (uint256 i = 0; i < tickIds.length; ++i) {
            (uint128 gross, int128 net,,,,,,) = IUniswapV3PoolTicks(pools[i]).ticks(tickIds[i]);
            uint256 packed = (uint256(gross) << 128) | uint256(uint128(net));
            assembly {
                mstore(add(add(out, 32), mul(i, 32)), packed)
            }
        }
        assembly {
            return(add(out, 32), mload(out))
        }
    }
}
