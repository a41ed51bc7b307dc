// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IExtsload {
    function extsload(bytes32[] calldata slots) external view returns (bytes32[] memory);
}

/// @title V4TicksReader
/// @notice Deployless batch read of Uniswap V4 initialized ticks through `extsload`: for (pool id, tick)
///         pairs returns the first word of Tick.Info, liquidityNet (int128) << 128 | liquidityGross
///         (uint128), 32 bytes per entry in input order. Ticks are the mapping at offset 4 of Pool.State.
contract V4TicksReader {
    constructor(address manager, bytes32[] memory ids, int24[] memory tickIds) {
        require(ids.length == tickIds.length, "length mismatch");
        bytes32[] memory slots = new bytes32[](tickIds.length);
        for (uint256 i = 0; i < tickIds.length; ++i) {
            bytes32 mapSlot = bytes32(uint256(keccak256(abi.encode(ids[i], uint256(6)))) + 4);
            slots[i] = keccak256(abi.encode(int256(tickIds[i]), mapSlot));
        }
        bytes32[] memory words = IExtsload(manager).extsload(slots);
        assembly {
            return(add(words, 32), mul(mload(words), 32))
        }
    }
}
