// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice ERC-20 that burns `feeBps` of every transfer between non-minter accounts, so the
///         recipient gets less than was sent. Exists to exercise arbbot's handling of such tokens.
contract FeeOnTransferToken is ERC20 {
    uint8 private immutable _decimals;
    uint16 public immutable feeBps;
    address public immutable minter;

    error NotMinter(address caller);
    error FeeTooHigh(uint16 feeBps);

    constructor(string memory name_, string memory symbol_, uint8 decimals_, uint16 feeBps_) ERC20(name_, symbol_) {
        if (feeBps_ > 10_000) revert FeeTooHigh(feeBps_);
        _decimals = decimals_;
        feeBps = feeBps_;
        minter = msg.sender;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender);
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        // Mints, burns and the minter's own transfers are fee-free so scenarios can seed pools exactly.
        if (from == address(0) || to == address(0) || from == minter) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = (value * feeBps) / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
