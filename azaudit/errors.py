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


class NetworkError(AzauditError):
    """Azure could not be reached, or answered unusably, before the audit could start (listing
    the subscriptions or a management group's members): nothing can be audited."""


class TransportRefusal(Exception):
    """The one transport would not send (or go on with) a request because of what an answer said.

    Answers are written by the server (and, through it, by anyone who can create a resource), so
    this is not an :class:`AzauditError`: it costs the data of one scope (a collection error that
    turns into ERROR findings), never the whole run. Not an ``AzureError`` either, so that
    azure-core's retry policy does not send the refused request again.
    """


class ForeignHostError(TransportRefusal):
    """A request (usually a ``nextLink``) names a host other than the audited cloud's ARM and Key
    Vault hosts, or not over HTTPS: it would carry the run's bearer token away."""


class BodyOnReadError(TransportRefusal):
    """A GET or HEAD that carries a body: azaudit sends none, so one can only come from a request
    an answer reshaped (a ``303`` turning a token form's ``POST`` into a ``GET`` elsewhere)."""


class PagingLoopError(TransportRefusal):
    """A paged list points back at a page it already served, or never ends."""


class ThrottledError(TransportRefusal):
    """The service kept asking to wait (``Retry-After``) beyond what azaudit waits for one request."""
