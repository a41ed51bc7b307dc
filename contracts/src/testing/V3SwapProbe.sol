// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IUniswapV3PoolSwap {
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
    // Only the fields every V3-style pool shares (PancakeSwap's slot0 has a uint32 protocol fee).
    function slot0() external view returns (uint160 sqrtPriceX96, int24 tick);
    function liquidity() external view returns (uint128);
}

/// @title V3SwapProbe
/// @notice Runs a real UniswapV3Pool (or PancakeV3Pool) swap and reports what it did without paying for it: the swap
///         callback reverts with the amounts and the pool's post-swap price, tick and liquidity, and
///         `probe` returns them. Every call ends in a revert inside the pool, so nothing ever moves.
///         Used by the exactness tests to compare the Python model with the deployed pool.
contract V3SwapProbe {
    error Probed(int256 amount0, int256 amount1, uint160 sqrtPriceX96, int24 tick, uint128 liquidity);

    function probe(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        external
        returns (
            bool ok,
            int256 amount0,
            int256 amount1,
            uint160 sqrtPriceX96,
            int24 tick,
            uint128 liquidity,
            bytes memory reason
        )
    {
        try IUniswapV3PoolSwap(pool).swap(address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, "") {
            revert("swap returned without calling back");
        } catch (bytes memory data) {
            if (data.length == 4 + 5 * 32 && bytes4(data) == Probed.selector) {
                bytes memory body = new bytes(data.length - 4);
                for (uint256 i = 0; i < body.length; ++i) {
                    body[i] = data[i + 4];
                }
                (amount0, amount1, sqrtPriceX96, tick, liquidity) =
                    abi.decode(body, (int256, int256, uint160, int24, uint128));
                return (true, amount0, amount1, sqrtPriceX96, tick, liquidity, "");
            }
            return (false, 0, 0, 0, 0, 0, data);
        }
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external view {
        _report(amount0Delta, amount1Delta);
    }

    /// @dev PancakeSwap V3 calls back under its own name, with the same arguments.
    function pancakeV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external view {
        _report(amount0Delta, amount1Delta);
    }

    function _report(int256 amount0Delta, int256 amount1Delta) private view {
        (uint160 sqrtPriceX96, int24 tick) = IUniswapV3PoolSwap(msg.sender).slot0();
        revert Probed(amount0Delta, amount1Delta, sqrtPriceX96, tick, IUniswapV3PoolSwap(msg.sender).liquidity());
    }
}
