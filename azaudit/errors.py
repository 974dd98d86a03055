"""The errors azaudit expects and reports as one clear line (no traceback).

Every error raised on purpose below the CLI derives from :class:`AzauditError`; the CLI prints
``azaudit: <message>`` and exits 2. Anything else is a bug and keeps its traceback.
"""


class AzauditError(Exception):
    """An expected failure with a message that tells the user what to do."""


class UsageError(AzauditError):
    """The command line asked for something impossible (e.g. an unknown subscription)."""


class ConfigError(AzauditError):
    """The configuration file is malformed or holds an unknown key."""


class AuthError(AzauditError):
    """No credential could be obtained, or the one obtained was refused."""


class FixtureError(AzauditError):
    """A replay fixture directory or file is malformed."""


class UnmatchedRequestError(AzauditError):
    """Replay mode met a request that no fixture answers: a loud error, never an empty list."""


class SecretReadRefusedError(AzauditError):
    """Something tried to send a request that would return a secret value; azaudit never does."""
