// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IExtsload {
    function extsload(bytes32[] calldata slots) external view returns (bytes32[] memory);
}

/// @title V4BitmapReader
/// @notice Deployless batch read of Uniswap V4 tick-bitmap words through the PoolManager's `extsload`.
///         For each request (pool id, fromWord, toWord) returns the non-zero words of that inclusive range
///         as 64-byte records: request index (uint32) | wordPos (int16) | 26 zero bytes | word (uint256).
///         The bitmap of a pool is the mapping at offset 5 of its Pool.State (v4-core StateLibrary).
contract V4BitmapReader {
    constructor(address manager, bytes32[] memory ids, int16[] memory fromWords, int16[] memory toWords) {
        require(ids.length == fromWords.length && ids.length == toWords.length, "length mismatch");
        bytes memory out;
        for (uint256 i = 0; i < ids.length; ++i) {
            bytes32 mapSlot = bytes32(uint256(keccak256(abi.encode(ids[i], uint256(6)))) + 5);
            int256 from = fromWords[i];
            uint256 n = uint256(int256(toWords[i]) - from + 1);
            bytes32[] memory slots = new bytes32[](n);
            for (uint256 k = 0; k < n; ++k) {
                slots[k] = keccak256(abi.encode(from + int256(k), mapSlot));
            }
            bytes32[] memory words = IExtsload(manager).extsload(slots);
            for (uint256 k = 0; k < n; ++k) {
                if (words[k] != 0) {
                    out = bytes.concat(out, abi.encodePacked(uint32(i), int16(from + int256(k)), bytes26(0), words[k]));
                }
            }
        }
        assembly {
            return(add(out, 32), mload(out))
        }
    }
}
