// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BareFlashLoan
/// @notice Gas-measurement helper only: a Balancer V2 flash loan repaid at once, nothing else, to tell
///         what the loan itself costs apart from what an executor does around it.
contract BareFlashLoan {
    function borrow(address vault, address token, uint256 amount) external {
        address[] memory tokens = new address[](1);
        tokens[0] = token;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = amount;
        IVault(vault).flashLoan(address(this), tokens, amounts, "");
    }

    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata fees,
        bytes calldata
    ) external {
        IERC20(tokens[0]).transfer(msg.sender, amounts[0] + fees[0]);
    }
}

interface IVault {
    function flashLoan(address, address[] memory, uint256[] memory, bytes memory) external;
}

interface IERC20 {
    function transfer(address, uint256) external returns (bool);
}
