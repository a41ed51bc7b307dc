"""Error types shared across arbbot. Each carries a one-line message naming what and where."""


class ArbbotError(Exception):
    """Base for every error arbbot reports to the user as a one-line message."""


class ConfigError(ArbbotError):
    """A configuration key or file is missing or malformed."""


class ArtifactError(ArbbotError):
    """A protocol artifact (npm package file) is missing or malformed."""


class ScenarioError(ArbbotError):
    """A scenario file is unknown or malformed."""


class DevnetError(ArbbotError):
    """The local node could not be started, reached or stopped."""


class CheckoutRequired(ArtifactError):
    """A development-only part (compiler, npm protocol artifacts, replica build) used without a checkout."""
