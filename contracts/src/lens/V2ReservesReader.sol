// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IUniswapV2PairReserves {
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
}

/// @title V2ReservesReader
/// @notice Deployless batch read: run as the `data` of an `eth_call` without `to`. The constructor
///         reads every pair's reserves and returns them packed, 32 bytes per pair:
///         reserve0 (uint112) | reserve1 (uint112) | blockTimestampLast (uint32).
///         A pair whose call fails (not a pair, self-destructed) yields 32 zero bytes and the
///         `ok` bit cleared in the leading bitmap, so one bad address never fails the batch.
/// @dev Output: uint256 count, then ceil(count/256) words of ok-bits, then the packed records.
contract V2ReservesReader {
    constructor(address[] memory pairs) {
        uint256 n = pairs.length;
        uint256 bitmapWords = (n + 255) / 256;
        bytes memory out = new bytes(32 + bitmapWords * 32 + n * 32);
        assembly {
            mstore(add(out, 32), n)
        }
        for (uint256 i = 0; i < n; ++i) {
            (bool ok, bytes memory ret) =
                pairs[i].staticcall(abi.encodeWithSelector(IUniswapV2PairReserves.getReserves.selector));
            if (!ok || ret.length < 96) continue;
            (uint256 r0, uint256 r1, uint256 ts) = abi.decode(ret, (uint256, uint256, uint256));
            uint256 packed = (r0 << 144) | (r1 << 32) | ts;
            assembly {
                let bitWord := add(add(out, 64), mul(div(i, 256), 32))
                mstore(bitWord, or(mload(bitWord), shl(mod(i, 256), 1)))
                mstore(add(add(add(out, 64), mul(bitmapWords, 32)), mul(i, 32)), packed)
            }
        }
        assembly {
            return(add(out, 32), mload(out))
        }
    }
}
