// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CheatsTest} from "./Cheats.sol";

interface IUniswapV2FactoryLike {
    function createPair(address a, address b) external returns (address);
    function getPair(address a, address b) external view returns (address);
}

/// @notice Proves forge can load the real, unmodified protocol bytecode from npm artifacts offline.
contract ReplicaBytecodeTest is CheatsTest {
    function test_v2FactoryFromNpmArtifactCreatesPair() public {
        bytes memory code = vm.getCode("contracts/artifacts/protocol/UniswapV2Factory.json");
        address factory = deployCode(code, abi.encode(address(this)));
        address a = address(0x1000);
        address b = address(0x2000);
        address pair = IUniswapV2FactoryLike(factory).createPair(a, b);
        assertEq(IUniswapV2FactoryLike(factory).getPair(b, a), pair, "getPair");
        // CREATE2 with mainnet's init code hash: the npm bytecode is the deployed one.
        bytes32 salt = keccak256(abi.encodePacked(a, b));
        bytes32 initCodeHash = hex"96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f";
        bytes32 digest = keccak256(abi.encodePacked(hex"ff", factory, salt, initCodeHash));
        address expected = address(uint160(uint256(digest)));
        assertEq(pair, expected, "pair address");
    }

    function testFuzz_pairAddressIsOrderIndependent(address a, address b) public {
        vm.assume(a != b && a != address(0) && b != address(0));
        bytes memory code = vm.getCode("contracts/artifacts/protocol/UniswapV2Factory.json");
        address factory = deployCode(code, abi.encode(address(this)));
        address pair = IUniswapV2FactoryLike(factory).createPair(a, b);
        assertEq(IUniswapV2FactoryLike(factory).getPair(b, a), pair, "order");
    }
}
