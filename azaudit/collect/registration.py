"""A subscription-level list of a resource provider's resources, where an unregistered provider
means "none of them can exist here", said in a note, never taken for an error or a pass.

Many subscriptions of a real tenant have never registered some resource providers
(Microsoft.ContainerInstance, Microsoft.ContainerRegistry, Microsoft.KeyVault,
Microsoft.ManagedIdentity...), and azaudit registers none (it sends reads only; see
``azaudit/arm_client.py``). ARM answers a request for such a namespace with ``409`` and the error
code ``MissingSubscriptionRegistration`` ("The subscription is not registered to use namespace
'X'"), naming the namespace in the message and in ``details[].target``:

- Microsoft Learn, "Resolve errors for resource provider registration"
  (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider):
  the code and message of an unregistered provider.
- Azure/msrestazure-for-python issue 53 and Azure/azure-sdk-for-node issue 2305: ARM's whole body,
  ``details[].target`` naming the namespace.
- Azure/azqr issue 58 (Microsoft's Azure Quick Review failed with "Subscription Not Registered"
  while listing a subscription's resources; fixed by leaving that service out): a list is
  answered so, not with an empty list.

Why no resource of the list can exist then, Microsoft Learn, "Azure resource providers and types"
(https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types):
"You can't unregister a resource provider when you still have resource types from that resource
provider in your subscription", and "A malicious user can't use unregistered resource providers."

So the list's own namespace, unregistered, is an empty list and a note naming the subscription and
the namespace. Anything else stays an ERROR: another status or error code, a message or a detail
that names another namespace (or none), a failure of a later page (the list had begun: it is not
read as empty), a per-resource GET, a data plane. Defender's pricings (Microsoft.Security) and the
activity log's diagnostic settings (Microsoft.Insights) are not lists of resources and do not come
here: no Microsoft page found says what an unregistered Microsoft.Security or Microsoft.Insights
means for a plan or a setting, so those stay ERROR.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import HttpResponseError

from azaudit.collect.arm import arm_get, arm_pages
from azaudit.inventory.common import Subscription
from azaudit.inventory.coverage import CollectionNote, Dataset

CODE = "MissingSubscriptionRegistration"

# The namespace ARM's message names: "... registered to use namespace 'Microsoft.KeyVault'."
_NAMED = re.compile(r"namespace '([^']{0,200})'")


def not_registered(exc: BaseException, namespace: str) -> bool:
    """True when ``exc`` is ARM's 409 ``MissingSubscriptionRegistration`` for ``namespace`` alone:
    every namespace its message and its details name is ``namespace`` (case aside), at least one
    names it, and every detail has that code too."""
    if not isinstance(exc, HttpResponseError) or exc.status_code != 409:
        return False
    error = getattr(exc, "error", None)
    if error is None or getattr(error, "code", None) != CODE:
        return False
    named: list[object] = []
    message = getattr(error, "message", None)
    if isinstance(message, str):
        named += _NAMED.findall(message)
    target = getattr(error, "target", None)
    if target is not None:
        named.append(target)
    for detail in getattr(error, "details", None) or []:
        if getattr(detail, "code", None) != CODE:
            return False  # another error beside it: not the benign state alone
        detail_target = getattr(detail, "target", None)
        if detail_target is not None:
            named.append(detail_target)
    wanted = namespace.casefold()
    return bool(named) and all(isinstance(name, str) and name.casefold() == wanted for name in named)


def provider_list(
    client: Any, sub: Subscription, namespace: str, resource_type: str, api_version: str, what: str, dataset: Dataset
) -> tuple[list[Mapping[str, Any]], list[CollectionNote]]:
    """The items of ``GET {subscription}/providers/{namespace}/{resource_type}`` (every page), and
    no note; or, when ARM answers the first page that the subscription is not registered for
    ``namespace`` (:func:`not_registered`), no item and a note that says so."""
    try:
        first = arm_get(client, f"{sub.id}/providers/{namespace}/{resource_type}", api_version)
    except HttpResponseError as exc:
        if not_registered(exc, namespace):
            return [], [unregistered_note(sub, namespace, resource_type, dataset)]
        raise
    return arm_pages(client, first, api_version, what), []


def unregistered_note(sub: Subscription, namespace: str, resource_type: str, dataset: Dataset) -> CollectionNote:
    """The report's note on a subscription not registered for ``namespace``."""
    return CollectionNote(
        dataset=dataset,
        subscription_id=sub.subscription_id,
        resource_id=sub.id,
        resource_name=sub.name,
        message=(
            f"subscription {sub.subscription_id} is not registered for the resource provider {namespace} "
            f"(Azure answered the {resource_type} list with 409 {CODE}): no {namespace}/{resource_type} "
            "can exist in it (a provider cannot be unregistered while resources of its types remain), "
            "so there were none to audit"
        ),
    )
