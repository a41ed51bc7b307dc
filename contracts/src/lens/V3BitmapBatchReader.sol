// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title V3BitmapBatchReader
/// @notice Deployless driver for V3BitmapSlotReader: for each request (pool, fromWord, toWord, the pool's
///         tickBitmap mapping slot) calls the
///         pool once (its code overridden by the slot reader in the same eth_call) and returns
///         request index (uint32) | 28 zero bytes, then the slot reader's records, per request that
///         found words: index header (32 bytes) | byte length (uint256) | records.
contract V3BitmapBatchReader {
    constructor(address[] memory pools, int16[] memory fromWords, int16[] memory toWords, uint256[] memory slots) {
        require(
            pools.length == fromWords.length && pools.length == toWords.length && pools.length == slots.length,
            "length mismatch"
        );
        bytes memory out;
        for (uint256 i = 0; i < pools.length; ++i) {
            (bool ok, bytes memory ret) = pools[i].staticcall(abi.encode(fromWords[i], toWords[i], slots[i]));
            require(ok, "slot reader failed");
            // A fallback's return value is raw bytes, not ABI-encoded.
            if (ret.length != 0) {
                out = bytes.concat(out, abi.encodePacked(uint32(i), bytes28(0), ret.length), ret);
            }
        }
        assembly {
            return(add(out, 32), mload(out))
        }
    }
}
