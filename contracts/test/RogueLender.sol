// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../src/ArbExecutor.sol";

/// @notice Test-only stand-in for a Balancer Vault that misbehaves when the executor borrows from it:
///         it calls back with other terms, calls the wrong callback, or re-enters `execute`.
contract RogueLender {
    enum Mode {
        TamperRoute, // hands back a route with another minProfit
        TamperAmount, // claims to have lent one wei more than asked
        WrongCallback, // calls the V3 swap callback instead of receiveFlashLoan
        Reenter, // calls execute again from inside the loan
        Silent // never calls back
    }

    Mode public mode;

    function setMode(Mode m) external {
        mode = m;
    }

    function flashLoan(address recipient, address[] memory tokens, uint256[] memory amounts, bytes memory userData)
        external
    {
        ArbExecutor ex = ArbExecutor(payable(recipient));
        uint256[] memory fees = new uint256[](1);
        if (mode == Mode.TamperRoute) {
            userData[60] = bytes1(uint8(userData[60]) ^ 1);
            ex.receiveFlashLoan(tokens, amounts, fees, userData);
        } else if (mode == Mode.TamperAmount) {
            amounts[0] += 1;
            ex.receiveFlashLoan(tokens, amounts, fees, userData);
        } else if (mode == Mode.WrongCallback) {
            ex.uniswapV3SwapCallback(int256(amounts[0]), 0, "");
        } else if (mode == Mode.Reenter) {
            ex.execute(userData);
        }
    }
}
