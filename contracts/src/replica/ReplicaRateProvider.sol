// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ReplicaRateProvider
/// @notice A rate provider (`getRate()`, 18 decimals) for the local replica's Balancer composable stable pools,
///         standing in for a liquid-staking token's exchange rate. Only its deployer can change the rate, so
///         tests can move it (a rate past 96 bits included, which the pools refuse) and scenarios stay reproducible.
contract ReplicaRateProvider {
    address public immutable owner;
    uint256 private _rate;

    error NotOwner(address caller);

    event RateSet(uint256 rate);

    constructor(uint256 rate_) {
        owner = msg.sender;
        _rate = rate_;
    }

    function getRate() external view returns (uint256) {
        return _rate;
    }

    function setRate(uint256 rate_) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _rate = rate_;
        emit RateSet(rate_);
    }
}
