// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

interface IBalancerVaultFlash {
    function flashLoan(address recipient, IERC20[] memory tokens, uint256[] memory amounts, bytes memory userData)
        external;
}

/// @title FlashLoanProbe
/// @notice Borrows from the Balancer V2 Vault and repays in the same call: proves the replica's
///         Vault serves flash loans. Records what it received so a caller can check the round trip.
contract FlashLoanProbe {
    address public immutable vault;
    uint256 public lastAmount;
    uint256 public lastFee;
    uint256 public lastBalanceDuringLoan;

    error OnlyVault(address caller);

    constructor(address vault_) {
        vault = vault_;
    }

    function borrow(IERC20 token, uint256 amount) external {
        IERC20[] memory tokens = new IERC20[](1);
        tokens[0] = token;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = amount;
        IBalancerVaultFlash(vault).flashLoan(address(this), tokens, amounts, "");
    }

    function receiveFlashLoan(
        IERC20[] memory tokens,
        uint256[] memory amounts,
        uint256[] memory feeAmounts,
        bytes memory
    ) external {
        if (msg.sender != vault) revert OnlyVault(msg.sender);
        lastAmount = amounts[0];
        lastFee = feeAmounts[0];
        lastBalanceDuringLoan = tokens[0].balanceOf(address(this));
        tokens[0].transfer(vault, amounts[0] + feeAmounts[0]);
    }
}
