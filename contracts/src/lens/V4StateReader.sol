// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IExtsload {
    function extsload(bytes32[] calldata slots) external view returns (bytes32[] memory);
}

/// @title V4StateReader
/// @notice Deployless batch read of Uniswap V4 pools' price state from the PoolManager's storage through
///         `extsload` (any node, no state override): per pool id, 64 bytes: the raw slot0 word
///         (sqrtPriceX96 | tick << 160 | protocolFee << 184 | lpFee << 208) and the liquidity word.
///         An uninitialized pool reads as zeros. Storage layout: `_pools` mapping at slot 6 of
///         PoolManager (v4-core StateLibrary.POOLS_SLOT), liquidity at offset 3 of Pool.State.
contract V4StateReader {
    constructor(address manager, bytes32[] memory ids) {
        bytes32[] memory slots = new bytes32[](ids.length * 2);
        for (uint256 i = 0; i < ids.length; ++i) {
            bytes32 state = keccak256(abi.encode(ids[i], uint256(6)));
            slots[2 * i] = state;
            slots[2 * i + 1] = bytes32(uint256(state) + 3);
        }
        bytes32[] memory words = IExtsload(manager).extsload(slots);
        assembly {
            return(add(words, 32), mul(mload(words), 32))
        }
    }
}
