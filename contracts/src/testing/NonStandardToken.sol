// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title NonStandardToken
/// @notice Token with the quirks real ones have: `symbol()`/`name()` return bytes32 (as MKR does),
///         `decimals()` reverts, `transfer` returns nothing (as USDT does). For bad-input tests only.
contract NonStandardToken {
    mapping(address => uint256) public balanceOf;
    bytes32 public constant symbol = "NSTD";
    bytes32 public constant name = "Non Standard";

    constructor(uint256 supply) {
        balanceOf[msg.sender] = supply;
    }

    function decimals() external pure returns (uint8) {
        revert("no decimals");
    }

    function transfer(address to, uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }
}
