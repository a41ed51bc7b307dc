// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IUniswapV3PoolState {
    function slot0() external view returns (uint160 sqrtPriceX96, int24 tick, uint16, uint16, uint16, uint8, bool);
    function liquidity() external view returns (uint128);
    function tickSpacing() external view returns (int24);
}

/// @title V3StateReader
/// @notice Deployless batch read of Uniswap V3 pools' price state, 64 bytes per pool:
///         ok (uint8) | sqrtPriceX96 (uint160) | tick (int24) | liquidity (uint128) | spacing (int24),
///         left-aligned big-endian in two words (45 bytes used, zero padded). A failing pool reads ok=0.
contract V3StateReader {
    constructor(address[] memory pools) {
        bytes memory out = new bytes(pools.length * 64);
        for (uint256 i = 0; i < pools.length; ++i) {
            bytes memory rec = _read(pools[i]);
            assembly {
                let dst := add(add(out, 32), mul(i, 64))
                mstore(dst, mload(add(rec, 32)))
                mstore(add(dst, 32), mload(add(rec, 64)))
            }
        }
        assembly {
            return(add(out, 32), mload(out))
        }
    }

    function _read(address pool) private view returns (bytes memory rec) {
        (bool ok0, bytes memory s0) = pool.staticcall(abi.encodeWithSelector(IUniswapV3PoolState.slot0.selector));
        (bool ok1, bytes memory l) = pool.staticcall(abi.encodeWithSelector(IUniswapV3PoolState.liquidity.selector));
        (bool ok2, bytes memory sp) = pool.staticcall(abi.encodeWithSelector(IUniswapV3PoolState.tickSpacing.selector));
        rec = new bytes(64);
        if (!ok0 || !ok1 || !ok2 || s0.length < 64 || l.length < 32 || sp.length < 32) return rec;
        (uint160 sqrtPriceX96, int24 tick) = abi.decode(s0, (uint160, int24));
        rec = bytes.concat(
            abi.encodePacked(uint8(1), sqrtPriceX96, tick, abi.decode(l, (uint128)), abi.decode(sp, (int24))),
            new bytes(19)
        );
    }
}
