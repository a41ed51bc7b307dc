// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

interface IAavePoolFlashSimple {
    function flashLoanSimple(
        address receiverAddress,
        address asset,
        uint256 amount,
        bytes calldata params,
        uint16 referralCode
    ) external;
}

/// @title AaveFlashProbe
/// @notice Borrows from an Aave V3 Pool with flashLoanSimple and repays amount + premium in the same
///         call: proves the replica's Aave market serves flash loans. Records what it saw.
contract AaveFlashProbe {
    address public immutable pool;
    uint256 public lastAmount;
    uint256 public lastPremium;
    uint256 public lastBalanceDuringLoan;

    error OnlyPool(address caller);
    error NotInitiator(address initiator);

    constructor(address pool_) {
        pool = pool_;
    }

    /// @notice Borrow `amount` of `asset`; the caller must have sent this contract enough for the premium.
    function borrow(address asset, uint256 amount) external {
        IAavePoolFlashSimple(pool).flashLoanSimple(address(this), asset, amount, "", 0);
    }

    function executeOperation(address asset, uint256 amount, uint256 premium, address initiator, bytes calldata)
        external
        returns (bool)
    {
        if (msg.sender != pool) revert OnlyPool(msg.sender);
        if (initiator != address(this)) revert NotInitiator(initiator);
        lastAmount = amount;
        lastPremium = premium;
        lastBalanceDuringLoan = IERC20(asset).balanceOf(address(this));
        // The Pool pulls amount + premium with transferFrom: approve exactly that, nothing more.
        IERC20(asset).approve(pool, amount + premium);
        return true;
    }
}
