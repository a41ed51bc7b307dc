// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPoolManagerLike, PoolKey, SwapParams} from "./V4Interfaces.sol";

/// @title SkimHook
/// @notice A Uniswap V4 hook that returns a swap delta: after every swap it keeps `skimPips` (of 1e6) of
///         the unspecified side (the output of an exact-input swap) for itself, so the swapper receives
///         less than the pool's curve gives. Amounts through such a pool are not the pool math's: they are
///         priced by simulating the PoolManager.
/// @dev Deployed at an address whose permission bits are exactly AFTER_SWAP | AFTER_SWAP_RETURNS_DELTA.
contract SkimHook {
    IPoolManagerLike public immutable manager;
    uint256 public immutable skimPips;

    error NotManager(address sender);

    constructor(IPoolManagerLike manager_, uint256 skimPips_) {
        manager = manager_;
        skimPips = skimPips_;
    }

    function afterSwap(address, PoolKey calldata key, SwapParams calldata params, int256 delta, bytes calldata)
        external
        returns (bytes4, int128)
    {
        if (msg.sender != address(manager)) revert NotManager(msg.sender);
        bool specifiedIs0 = (params.amountSpecified < 0) == params.zeroForOne;
        int128 amount = specifiedIs0 ? int128(delta) : int128(delta >> 128);
        (address currency, uint256 size) =
            (specifiedIs0 ? key.currency1 : key.currency0, uint256(uint128(amount < 0 ? -amount : amount)));
        uint256 skim = (size * skimPips) / 1_000_000;
        if (skim != 0) manager.take(currency, address(this), skim);
        return (this.afterSwap.selector, int128(int256(skim)));
    }

    /// @dev The skim may be native ETH.
    receive() external payable {}
}
