// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BareV3Swapper
/// @notice Gas-measurement helper only: the least a V3 pool swap can be wrapped in (an account cannot
///         answer the pool's callback). One pool.swap, the callback pays from this contract's balance.
contract BareV3Swapper {
    function swap(address pool, bool zeroForOne, int256 amountIn, address tokenIn, address recipient) external {
        IPool(pool)
            .swap(
                recipient,
                zeroForOne,
                amountIn,
                zeroForOne ? 4295128740 : 1461446703485210103287273052203988822378723970341,
                abi.encode(tokenIn)
            );
    }

    function uniswapV3SwapCallback(int256 a0, int256 a1, bytes calldata data) external {
        IERC20(abi.decode(data, (address))).transfer(msg.sender, uint256(a0 > 0 ? a0 : a1));
    }
}

interface IPool {
    function swap(address, bool, int256, uint160, bytes calldata) external returns (int256, int256);
}

interface IERC20 {
    function transfer(address, uint256) external returns (bool);
}
