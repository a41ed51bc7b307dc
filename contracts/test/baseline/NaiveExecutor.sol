// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title NaiveExecutor
/// @notice Gas baseline only (never deployed for real): the straightforward way to run the same cycle —
///         a Balancer flash loan, then every hop through the venue's router (Uniswap V2 Router02 or V3
///         SwapRouter) with an approve per hop, an ABI-encoded route, and balance checks at the end.
contract NaiveExecutor {
    struct Step {
        bool v3;
        address router; // Router02 of the V2 venue, or the V3 SwapRouter
        address tokenOut;
        uint24 fee; // V3 pool fee; unused for V2
    }

    struct Plan {
        address token;
        uint256 amount;
        uint256 minProfit;
        Step[] steps;
    }

    address public immutable owner;
    address public immutable vault;

    error NotOwner();
    error NotVault();
    error Unprofitable(uint256 balance, uint256 required);

    constructor(address vault_) {
        owner = msg.sender;
        vault = vault_;
    }

    function execute(bytes calldata plan) external {
        if (msg.sender != owner) revert NotOwner();
        Plan memory p = abi.decode(plan, (Plan));
        address[] memory tokens = new address[](1);
        tokens[0] = p.token;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = p.amount;
        IVault(vault).flashLoan(address(this), tokens, amounts, plan);
    }

    function receiveFlashLoan(
        address[] memory tokens,
        uint256[] memory amounts,
        uint256[] memory fees,
        bytes memory plan
    ) external {
        if (msg.sender != vault) revert NotVault();
        Plan memory p = abi.decode(plan, (Plan));
        uint256 start = IERC20(tokens[0]).balanceOf(address(this)) - amounts[0];
        address tokenIn = p.token;
        uint256 amount = amounts[0];
        for (uint256 i = 0; i < p.steps.length; ++i) {
            Step memory s = p.steps[i];
            IERC20(tokenIn).approve(s.router, amount);
            if (s.v3) {
                amount = ISwapRouter(s.router)
                    .exactInputSingle(
                        ISwapRouter.ExactInputSingleParams(
                            tokenIn, s.tokenOut, s.fee, address(this), block.timestamp, amount, 0, 0
                        )
                    );
            } else {
                address[] memory path = new address[](2);
                path[0] = tokenIn;
                path[1] = s.tokenOut;
                uint256[] memory outs =
                    IRouter02(s.router).swapExactTokensForTokens(amount, 0, path, address(this), block.timestamp);
                amount = outs[1];
            }
            tokenIn = s.tokenOut;
        }
        uint256 owed = amounts[0] + fees[0];
        uint256 balance = IERC20(tokens[0]).balanceOf(address(this));
        if (balance < start + owed + p.minProfit) revert Unprofitable(balance, start + owed + p.minProfit);
        IERC20(tokens[0]).transfer(vault, owed);
    }
}

interface IERC20 {
    function approve(address, uint256) external returns (bool);
    function transfer(address, uint256) external returns (bool);
    function balanceOf(address) external view returns (uint256);
}

interface IVault {
    function flashLoan(address recipient, address[] memory tokens, uint256[] memory amounts, bytes memory userData)
        external;
}

interface IRouter02 {
    function swapExactTokensForTokens(uint256, uint256, address[] calldata, address, uint256)
        external
        returns (uint256[] memory);
}

interface ISwapRouter {
    struct ExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address recipient;
        uint256 deadline;
        uint256 amountIn;
        uint256 amountOutMinimum;
        uint160 sqrtPriceLimitX96;
    }

    function exactInputSingle(ExactInputSingleParams calldata) external payable returns (uint256);
}
