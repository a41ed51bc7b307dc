// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IUniswapV3PoolBitmap {
    function tickBitmap(int16 wordPosition) external view returns (uint256);
}

/// @title V3BitmapReader
/// @notice Deployless batch read of tick-bitmap words. For each request (pool, fromWord, toWord)
///         returns only the non-zero words in that inclusive range, as 64-byte records:
///         request index (uint32) | wordPos (int16) | 26 zero bytes | word (uint256).
///         Callers split wide ranges over several requests to stay inside the call's gas budget.
contract V3BitmapReader {
    constructor(address[] memory pools, int16[] memory fromWords, int16[] memory toWords) {
        require(pools.length == fromWords.length && pools.length == toWords.length, "length mismatch");
        bytes memory out;
        for (uint256 i = 0; i < pools.length; ++i) {
            out = bytes.concat(out, _scan(uint32(i), pools[i], fromWords[i], toWords[i]));
        }
        assembly {
            return(add(out, 32), mload(out))
        }
    }

    function _scan(uint32 index, address pool, int16 fromWord, int16 toWord) private view returns (bytes memory found) {
        for (int16 w = fromWord; w <= toWord; ++w) {
            uint256 word = IUniswapV3PoolBitmap(pool).tickBitmap(w);
            if (word != 0) found = bytes.concat(found, abi.encodePacked(index, w, new bytes(26), word));
            if (w == type(int16).max) break;
        }
    }
}
