"""Errors of pool math. Where the contract would revert, the model raises, naming what and why."""


class AmmError(ValueError):
    """Base for pool-math failures."""


class InvalidAmount(AmmError):
    """An amount is zero, negative or out of the type's range."""


class InsufficientLiquidity(AmmError):
    """The pool cannot provide the requested amount."""


class ContractRevert(AmmError):
    """The deployed contract would revert here (the message carries its reason code)."""
