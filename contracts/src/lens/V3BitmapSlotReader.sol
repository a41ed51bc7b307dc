// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title V3BitmapSlotReader
/// @notice Runtime code placed at a V3-style pool's address through an eth_call state override, so it
///         reads the pool's own `tickBitmap` storage (mapping(int16 => uint256); slot 6 in UniswapV3Pool's
///         layout, 7 in PancakeV3Pool's, whose slot0 takes two slots) with one SLOAD per word instead of
///         one external call per word.
/// @dev Input: abi.encode(int16 fromWord, int16 toWord, uint256 mappingSlot). Output: 64-byte records for
///      non-zero words: wordPos (int16) | 30 zero bytes | word (uint256). Only ever used inside an eth_call.
contract V3BitmapSlotReader {
    fallback(bytes calldata input) external returns (bytes memory found) {
        (int16 fromWord, int16 toWord, uint256 mappingSlot) = abi.decode(input, (int16, int16, uint256));
        for (int256 w = fromWord; w <= toWord; ++w) {
            bytes32 slot = keccak256(abi.encode(w, mappingSlot));
            uint256 word;
            assembly {
                word := sload(slot)
            }
            if (word != 0) found = bytes.concat(found, abi.encodePacked(int16(w), bytes30(0), word));
        }
    }
}
