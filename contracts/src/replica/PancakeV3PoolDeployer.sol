// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PancakeV3PoolDeployer (replica stand-in)
/// @notice PancakeSwap V3 pools are created by a pool deployer the factory calls; the npm packages publish
///         the factory and the pool but not the deployer. This contract has the deployer's interface
///         (`parameters`, `deploy`, `setFactoryAddress`) and behaviour: it CREATE2-deploys the npm
///         PancakeV3Pool creation code (init code hash 0x6ce8…f7e2, as on mainnet) with the salt
///         keccak256(abi.encode(token0, token1, fee)), so pools land where off-chain tooling computes.
/// @dev The pool creation code is too large to embed twice in one contract; it is read from `poolCode`,
///      a contract whose runtime code is a STOP byte followed by that creation code.
contract PancakeV3PoolDeployer {
    struct Parameters {
        address factory;
        address token0;
        address token1;
        uint24 fee;
        int24 tickSpacing;
    }

    /// @notice What the pool being created reads in its constructor (zero outside `deploy`).
    Parameters public parameters;
    address public factoryAddress;
    address public immutable poolCode;

    event SetFactoryAddress(address indexed factory);

    constructor(address poolCode_) {
        poolCode = poolCode_;
    }

    function setFactoryAddress(address factory_) external {
        require(factoryAddress == address(0), "already initialized");
        factoryAddress = factory_;
        emit SetFactoryAddress(factory_);
    }

    function deploy(address factory, address token0, address token1, uint24 fee, int24 tickSpacing)
        external
        returns (address pool)
    {
        require(msg.sender == factoryAddress, "only factory can call deploy");
        parameters = Parameters(factory, token0, token1, fee, tickSpacing);
        address holder = poolCode;
        uint256 size = holder.code.length - 1;
        bytes32 salt = keccak256(abi.encode(token0, token1, fee));
        assembly {
            let m := mload(0x40)
            extcodecopy(holder, m, 1, size)
            pool := create2(0, m, size, salt)
        }
        require(pool != address(0), "pool creation failed");
        delete parameters;
    }
}
