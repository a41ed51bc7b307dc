// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

struct BareKey {
    address currency0;
    address currency1;
    uint24 fee;
    int24 tickSpacing;
    address hooks;
}

struct BareSwapParams {
    bool zeroForOne;
    int256 amountSpecified;
    uint160 sqrtPriceLimitX96;
}

/// @title BareV4Swapper
/// @notice Gas-measurement helper only: the least a Uniswap V4 swap can be wrapped in (an account cannot
///         answer the PoolManager's unlock callback). One unlock: swap exact input, pay the input from this
///         contract's balance (sync, transfer, settle; native ether unwrapped from WETH and settled with
///         value), take the output to `recipient` (native ether taken here and wrapped, since the other
///         venues of a cycle trade WETH). No checks: the benchmark decides the amounts.
contract BareV4Swapper {
    IBarePoolManager public immutable manager;
    IBareWETH public immutable weth;

    constructor(IBarePoolManager manager_, IBareWETH weth_) {
        manager = manager_;
        weth = weth_;
    }

    receive() external payable {}

    function swap(BareKey calldata key, bool zeroForOne, uint256 amountIn, address recipient) external {
        manager.unlock(abi.encode(key, zeroForOne, amountIn, recipient));
    }

    function unlockCallback(bytes calldata data) external returns (bytes memory) {
        (BareKey memory key, bool zeroForOne, uint256 amountIn, address recipient) =
            abi.decode(data, (BareKey, bool, uint256, address));
        int256 delta = manager.swap(
            key,
            BareSwapParams(
                zeroForOne,
                -int256(amountIn),
                zeroForOne ? 4295128740 : 1461446703485210103287273052203988822378723970341
            ),
            ""
        );
        uint256 out = uint256(int256(zeroForOne ? int128(delta) : int128(delta >> 128)));
        (address currencyIn, address currencyOut) =
            zeroForOne ? (key.currency0, key.currency1) : (key.currency1, key.currency0);
        if (currencyIn == address(0)) {
            weth.withdraw(amountIn);
            manager.settle{value: amountIn}();
        } else {
            manager.sync(currencyIn);
            IBareERC20(currencyIn).transfer(address(manager), amountIn);
            manager.settle();
        }
        if (currencyOut == address(0)) {
            manager.take(address(0), address(this), out);
            weth.deposit{value: out}();
            weth.transfer(recipient, out);
        } else {
            manager.take(currencyOut, recipient, out);
        }
        return "";
    }
}

interface IBarePoolManager {
    function unlock(bytes calldata data) external returns (bytes memory);
    function swap(BareKey memory key, BareSwapParams memory params, bytes calldata hookData) external returns (int256);
    function sync(address currency) external;
    function settle() external payable returns (uint256);
    function take(address currency, address to, uint256 amount) external;
}

interface IBareWETH {
    function deposit() external payable;
    function withdraw(uint256) external;
    function transfer(address, uint256) external returns (bool);
}

interface IBareERC20 {
    function transfer(address, uint256) external returns (bool);
}
