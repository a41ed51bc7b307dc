// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The subset of forge cheatcodes arbbot's tests use (forge-std is not available offline).
interface Vm {
    function getCode(string calldata artifactPath) external view returns (bytes memory);
    function deal(address who, uint256 newBalance) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 revertData) external;
    function assume(bool condition) external pure;
    function label(address account, string calldata newLabel) external;
    function coinbase(address newCoinbase) external;
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32);
    function expectEmit() external;
    function expectEmit(address emitter) external;
}

/// @notice Minimal base for forge tests: the cheatcode handle and assertion helpers.
abstract contract CheatsTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": values differ"));
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": addresses differ"));
    }

    function assertTrue(bool ok, string memory what) internal pure {
        if (!ok) revert(what);
    }

    /// @dev Deploys raw creation code (from an npm artifact via vm.getCode) with constructor args.
    function deployCode(bytes memory creation, bytes memory args) internal returns (address addr) {
        bytes memory init = bytes.concat(creation, args);
        assembly {
            addr := create(0, add(init, 0x20), mload(init))
        }
        require(addr != address(0), "deploy failed");
    }
}
