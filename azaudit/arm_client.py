"""The one ARM client of a run: an azure-mgmt-core pipeline client that every read of Azure
Resource Manager goes through, built from azure-core's policies without a generated SDK client.

azaudit never calls an operation of a generated management client: every ARM read names its full
path (``collect/arm.py``: :func:`~azaudit.collect.arm.arm_get`, :func:`~azaudit.collect.arm.arm_list`,
sent through the client's lean sender, :mod:`~azaudit.transport.lean_sender`), the Resource Graph
query is a ``POST`` by path (``collect/graph.py``), and the subscriptions and a management group's
descendants are listed by path (``scope/``). A generated client (azure-mgmt-containerregistry's,
-keyvault's...) was built only for its pipeline and configuration, and importing their operations
and models cost about 0.35 s of CPU at the start of every audit. This client is configured as those
clients configure theirs (the same policies, in the same order, with the run's retry settings,
transport, credential and ARM scope), but for two things:

- no ``ARMAutoResourceProviderRegistrationPolicy``: on a ``409 MissingSubscriptionRegistration``
  that policy POSTs ``/subscriptions/{id}/providers/{namespace}/register``, a write a read-only
  auditor never sends. On a path that names no subscription (the Resource Graph query, the
  subscription list, a management group's descendants) it raised ``ValueError('Unable to extract
  subscription ID from URL')`` instead of Azure's error. Azure's answer is now the read's error,
  in Azure's words, as for every other read;
- its ``User-Agent`` names azaudit (``azsdk-python-azaudit/{version} Python/... (platform)``), where
  each generated client named its package (``azsdk-python-mgmt-security/7.0.0 ...``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azure.core.configuration import Configuration
from azure.core.pipeline.policies import (
    ContentDecodePolicy,
    CustomHookPolicy,
    DistributedTracingPolicy,
    HeadersPolicy,
    NetworkTraceLoggingPolicy,
    ProxyPolicy,
    RedirectPolicy,
    RequestIdPolicy,
    RetryPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

from azaudit import __version__

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

# What the User-Agent names (azure-core writes "azsdk-python-{moniker} Python/... (platform)").
SDK_MONIKER = f"azaudit/{__version__}"


class ArmConfiguration(Configuration[Any, Any]):
    """The policies of the ARM client, each built as a generated management client's configuration
    builds it from the same keyword arguments (the run's retry settings), and the credential and
    scopes its authentication policy (and each lean sender's own copy) asks tokens with."""

    def __init__(self, credential: TokenCredential, credential_scopes: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.credential = credential
        self.credential_scopes = credential_scopes
        kwargs.setdefault("sdk_moniker", SDK_MONIKER)
        self.request_id_policy = RequestIdPolicy(**kwargs)
        self.user_agent_policy = UserAgentPolicy(**kwargs)
        self.headers_policy = HeadersPolicy(**kwargs)
        self.proxy_policy = ProxyPolicy(**kwargs)
        self.logging_policy = NetworkTraceLoggingPolicy(**kwargs)
        self.http_logging_policy = ARMHttpLoggingPolicy(**kwargs)
        self.retry_policy = RetryPolicy(**kwargs)
        self.custom_hook_policy = CustomHookPolicy(**kwargs)
        self.redirect_policy = RedirectPolicy(**kwargs)
        self.authentication_policy = ARMChallengeAuthenticationPolicy(credential, *credential_scopes, **kwargs)


class ArmClient:
    """The run's ARM client: its configuration (``_config``) and its pipeline client (``_client``,
    an ``ARMPipelineClient`` over the run's transport), where a generated management client keeps
    them, for :mod:`~azaudit.transport.lean_sender` and ``collect/graph.py``. It has no operations.
    Safe to share between threads, as a generated client's pipeline is."""

    def __init__(self, credential: TokenCredential, base_url: str, scope: str, transport: Any, **retry: Any) -> None:
        self._config = config = ArmConfiguration(credential, [scope], **retry)
        policies = [
            config.request_id_policy,
            config.headers_policy,
            config.user_agent_policy,
            config.proxy_policy,
            ContentDecodePolicy(**retry),
            config.redirect_policy,
            config.retry_policy,
            config.authentication_policy,
            config.custom_hook_policy,
            config.logging_policy,
            DistributedTracingPolicy(**retry),
            SensitiveHeaderCleanupPolicy(**retry),
            config.http_logging_policy,
        ]
        # Given its policies, ARMPipelineClient adds none (no resource provider registration).
        self._client: ARMPipelineClient[Any, Any] = ARMPipelineClient(
            base_url=base_url, config=config, policies=policies, transport=transport
        )
