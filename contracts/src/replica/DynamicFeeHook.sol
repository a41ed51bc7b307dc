// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPoolManagerLike, PoolKey} from "./V4Interfaces.sol";

/// @title DynamicFeeHook
/// @notice A fee-only Uniswap V4 hook for the replica: it sets a dynamic-fee pool's LP fee at
///         initialization and whenever its keeper (the owner) calls `setFee`, through
///         PoolManager.updateDynamicLPFee, as fee-managing hooks do on mainnet. It never touches a swap,
///         so a swap's amounts follow from the pool state and the current LP fee alone (priced by math).
/// @dev Deployed at an address whose permission bits are exactly AFTER_INITIALIZE (1 << 12).
contract DynamicFeeHook {
    IPoolManagerLike public immutable manager;
    address public immutable owner;
    uint24 public immutable initialFee;

    error NotManager(address sender);
    error NotOwner(address sender);

    constructor(IPoolManagerLike manager_, address owner_, uint24 initialFee_) {
        manager = manager_;
        owner = owner_;
        initialFee = initialFee_;
    }

    function afterInitialize(address, PoolKey calldata key, uint160, int24) external returns (bytes4) {
        if (msg.sender != address(manager)) revert NotManager(msg.sender);
        manager.updateDynamicLPFee(key, initialFee);
        return this.afterInitialize.selector;
    }

    /// @notice The keeper moves the pool's LP fee (no event: the PoolManager emits none either).
    function setFee(PoolKey calldata key, uint24 fee) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        manager.updateDynamicLPFee(key, fee);
    }
}
