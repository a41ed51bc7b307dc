// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title HookDeployer
/// @notice CREATE2 factory for the replica's Uniswap V4 hooks: a V4 hook's permissions are the low 14
///         bits of its address, so each hook is deployed with a salt chosen off-chain to give exactly
///         the bits it needs.
contract HookDeployer {
    event Deployed(address indexed hook, bytes32 salt);

    error DeployFailed(bytes32 salt);

    function deploy(bytes32 salt, bytes calldata initCode) external returns (address hook) {
        bytes memory code = initCode;
        assembly {
            hook := create2(0, add(code, 0x20), mload(code), salt)
        }
        if (hook == address(0)) revert DeployFailed(salt);
        emit Deployed(hook, salt);
    }
}
