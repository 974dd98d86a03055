"""The run's one ARM client (azaudit/arm_client.py) in place of the generated management clients:
the same policies and requests on the wire as a generated client's (its User-Agent names azaudit),
no resource provider registration, the subscription list read as the SDK read it, and an audit
that imports no generated management package."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.mgmt.core.policies import ARMAutoResourceProviderRegistrationPolicy
from azure.mgmt.managementgroups import ManagementGroupsMgmtClient
from azure.mgmt.resource.subscriptions import SubscriptionClient
from requests.adapters import BaseAdapter

from azaudit import __version__
from azaudit.backend import guarded_transport
from azaudit.clients import RETRY, Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect.graph import graph_query
from azaudit.collect.sdk import text
from azaudit.errors import AzauditError, UsageError
from azaudit.inventory.common import Subscription
from azaudit.replay import ReplayCredential
from azaudit.replay.adapter import replay_session
from azaudit.runconfig import RunConfig
from azaudit.scope.management_groups import subscriptions_under
from azaudit.scope.subscriptions import visible_subscriptions
from tests.conftest import SAMPLE_TENANT, scripted_response
from tests.test_startup_imports import imported, management_packages

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
NAMESPACES = ("azure.mgmt", "azure.keyvault")  # packages of several distributions
ARM = "https://management.azure.com"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
# Azure's answer to a request for a namespace the subscription is not registered for.
NOT_REGISTERED = {
    "error": {
        "code": "MissingSubscriptionRegistration",
        "message": "The subscription is not registered to use namespace 'Microsoft.ResourceGraph'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions.",
    }
}


class Pages(BaseAdapter):
    """Answers a request whose URL holds a key of ``pages`` with its (status, body), the first key
    found in the order given; keeps what was sent."""

    def __init__(self, pages: dict[str, tuple[int, Any]]) -> None:
        super().__init__()
        self.pages = pages
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        status, body = next(answer for key, answer in self.pages.items() if key in str(request.url))
        return scripted_response(request, status, body, {"Content-Type": "application/json; charset=utf-8"})

    def close(self) -> None:
        pass


def _transport(adapter: BaseAdapter, tmp_path: Path) -> Any:
    return guarded_transport(RunConfig(working_directory=tmp_path), replay_session(adapter))


def _clients(adapter: BaseAdapter, tmp_path: Path) -> Clients:
    return Clients(
        ReplayCredential(), CLOUDS[CloudName.PUBLIC], _transport(adapter, tmp_path), retry={"retry_total": 0}
    )


def _reference(adapter: BaseAdapter, tmp_path: Path) -> SubscriptionClient:
    """A generated management client as azaudit built them (its ARM endpoint, scope and retry)."""
    cloud = CLOUDS[CloudName.PUBLIC]
    return SubscriptionClient(
        ReplayCredential(),
        base_url=cloud.arm_endpoint,
        credential_scopes=[cloud.arm_scope],
        transport=_transport(adapter, tmp_path),
        retry_total=0,
    )


def _kinds(client: Any) -> list[str]:
    """The pipeline's policies by class, in order (a SansIO policy under its runner)."""
    policies = client._client._pipeline._impl_policies
    return [type(getattr(p, "_policy", p)).__name__ for p in policies]


def test_the_arm_client_has_a_generated_clients_policies_but_the_provider_registration(tmp_path: Path) -> None:
    adapter = Pages({})
    ours, generated = _clients(adapter, tmp_path).arm(), _reference(adapter, tmp_path)
    registration = ARMAutoResourceProviderRegistrationPolicy.__name__
    assert registration in _kinds(generated)
    assert _kinds(ours) == [kind for kind in _kinds(generated) if kind != registration]


def test_the_arm_client_retries_as_the_run_says(tmp_path: Path) -> None:
    clients = Clients(ReplayCredential(), CLOUDS[CloudName.PUBLIC], _transport(Pages({}), tmp_path))
    policy = clients.arm()._config.retry_policy
    assert (policy.total_retries, policy.backoff_factor, policy.backoff_max) == (
        RETRY["retry_total"],
        RETRY["retry_backoff_factor"],
        RETRY["retry_backoff_max"],
    )
    assert clients.arm()._config.credential_scopes == [CLOUDS[CloudName.PUBLIC].arm_scope]


def test_the_subscription_list_goes_on_the_wire_as_the_sdks(tmp_path: Path) -> None:
    """Same method, URL and headers as the SDK's operation sent, but the User-Agent's product."""
    adapter = Pages({"/subscriptions": (200, {"value": []})})
    list(_reference(adapter, tmp_path).subscriptions.list())
    assert visible_subscriptions(_clients(adapter, tmp_path)) == []
    sdk, ours = adapter.sent
    assert (ours.method, ours.url) == (sdk.method, sdk.url) == ("GET", f"{ARM}/subscriptions?api-version=2022-12-01")
    assert sorted(ours.headers) == sorted(sdk.headers)
    for name in ("Authorization", "Accept"):
        assert ours.headers[name] == sdk.headers[name], name
    product, _, platform = str(ours.headers["User-Agent"]).partition(" ")
    assert product == f"azsdk-python-azaudit/{__version__}"
    assert platform == str(sdk.headers["User-Agent"]).partition(" ")[2]  # Python/... (platform)


def _subscription(sid: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"/subscriptions/{sid}", "subscriptionId": sid, **fields}


# Subscription lists as Azure may write them, hostile names and odd states included: azaudit's
# reading must give the records the SDK's models gave.
LISTS: dict[str, list[dict[str, Any]]] = {
    "plain": [_subscription("s1", displayName="prod", state="Enabled", tenantId=TENANT)],
    "every state, any case": [
        _subscription(f"s{i}", displayName=f"n{i}", state=state)
        for i, state in enumerate(["Enabled", "enabled", "ENABLED", "Warned", "PastDue", "Disabled", "Deleted", ""])
    ],
    "absent and null fields": [
        {"id": "/subscriptions/x"},
        _subscription("s2", displayName=None, state=None, tenantId=None),
        {"subscriptionId": None},
    ],
    "hostile names": [
        _subscription("s3", displayName="\x1b[2J**vso[task.complete result=Succeeded]\r\nZq7", state="Enabled"),
        _subscription("s4", displayName="prod </td><script>alert(1)</script>", state="Enabled"),
        _subscription("s5", displayName="\u202eevil\u0000 " + "x" * 5000, state="Enabled", tenantId=" "),
        _subscription("00000000-0000-0000-0000-000000000001", displayName="00000000-0000-0000-0000-000000000002"),
    ],
    "extra fields": [
        _subscription(
            "s6",
            displayName="d",
            state="Enabled",
            subscriptionPolicies={"quotaId": "q"},
            tags={"a": "b"},
            managedByTenants=[{"tenantId": "t"}],
        )
    ],
}


@pytest.mark.parametrize("items", LISTS.values(), ids=LISTS.keys())
@pytest.mark.parametrize("paged", [False, True], ids=["one page", "two pages"])
def test_the_subscription_list_reads_as_the_sdks_models_read_it(
    items: list[dict[str, Any]], paged: bool, tmp_path: Path
) -> None:
    first, rest = (items[:1], items[1:]) if paged else (items, [])
    link = f"{ARM}/subscriptions?api-version=2022-12-01&%24skiptoken=a%2Bb%3D"
    pages = {"skiptoken": (200, {"value": rest}), "/subscriptions": (200, {"value": first, "nextLink": link})}
    if not paged:
        pages = {"/subscriptions": (200, {"value": first})}
    sdk_adapter, our_adapter = Pages(pages), Pages(pages)
    expected = [
        Subscription(
            subscription_id=s.subscription_id or "",
            display_name=s.display_name or "",
            state=text(s.state) or "",
            tenant_id=text(getattr(s, "tenant_id", None)) or "",
        )
        for s in _reference(sdk_adapter, tmp_path).subscriptions.list()
    ]
    assert visible_subscriptions(_clients(our_adapter, tmp_path)) == expected
    assert [r.url for r in our_adapter.sent] == [r.url for r in sdk_adapter.sent]


UNUSABLE: dict[str, Any] = {
    "a list": [],
    "an item that is not an object": {"value": [5]},
    "a value that is not a list": {"value": "s1"},
    "an id that is a number": {"value": [{"subscriptionId": 7, "state": "Enabled"}]},
    "a name that is an object": {"value": [_subscription("s1", displayName={"x": 1}, state="Enabled")]},
    "a state that is a number": {"value": [_subscription("s1", state=3)]},
    "a nextLink that is not a string": {"value": [], "nextLink": 5},
}


@pytest.mark.parametrize("body", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_a_subscription_list_of_another_shape_is_one_clear_line(body: Any, tmp_path: Path) -> None:
    """The SDK's models raised AttributeError or TypeError (a traceback) on the first three, and
    wrote any JSON value as a string: Python's text of a dict became a subscription's name."""
    with pytest.raises(AzauditError) as raised:
        visible_subscriptions(_clients(Pages({"/subscriptions": (200, body)}), tmp_path))
    message = str(raised.value)
    assert message.startswith("could not list the subscriptions") and "\n" not in message
    assert "{'x'" not in message


# A management group's descendants as Azure may write them: subscriptions, groups, odd cases.
DESCENDANTS: list[dict[str, Any]] = [
    {"id": "/subscriptions/AA", "type": "/subscriptions", "name": "AA-Sub"},
    {"id": "/providers/Microsoft.Management/managementGroups/g", "type": "Microsoft.Management/managementGroups"},
    {"type": "/SUBSCRIPTIONS", "name": "bb"},
    {"type": "/subscriptions", "name": ""},
    {"type": "/subscriptions", "name": None},
    {"type": None, "name": "cc"},
    {"name": "dd"},
    {"type": "/subscriptions/", "name": "ee"},
    {"type": "/subscriptions", "name": "aa-sub"},
    {"type": "/subscriptions", "name": "\x1b[2J\u202e ff"},
]


@pytest.mark.parametrize("group", ["contoso", "a b", "a/b?c#d", "%41", "{x}", "\u00e4", "a+b=c&d"])
def test_a_management_groups_descendants_read_as_the_sdk_read_them(group: str, tmp_path: Path) -> None:
    link = f"{ARM}/providers/Microsoft.Management/managementGroups/x/descendants?api-version=2023-04-01&$skiptoken=2"
    pages = {"skiptoken": (200, {"value": DESCENDANTS[4:]}), "/": (200, {"value": DESCENDANTS[:4], "nextLink": link})}
    sdk_adapter, our_adapter = Pages(pages), Pages(pages)
    cloud = CLOUDS[CloudName.PUBLIC]
    sdk = ManagementGroupsMgmtClient(
        ReplayCredential(), base_url=cloud.arm_endpoint, transport=_transport(sdk_adapter, tmp_path), retry_total=0
    )
    expected: dict[str, str] = {}
    for item in sdk.management_groups.get_descendants(group):  # what azaudit did with the SDK's models
        if (text(item.type) or "").lower() == "/subscriptions" and item.name:
            expected.setdefault(item.name.lower(), group)
    assert subscriptions_under(_clients(our_adapter, tmp_path), [group]) == expected
    assert [r.url for r in our_adapter.sent] == [r.url for r in sdk_adapter.sent]


@pytest.mark.parametrize(
    "body",
    [{"value": [{"type": "/subscriptions", "name": 5}]}, {"value": [{"type": 1, "name": "a"}]}, {"value": [None]}, []],
    ids=["a number for a name", "a number for a type", "null for an item", "a list"],
)
def test_a_management_group_answer_of_another_shape_is_one_clear_line(body: Any, tmp_path: Path) -> None:
    with pytest.raises(AzauditError) as raised:
        subscriptions_under(_clients(Pages({"/": (200, body)}), tmp_path), ["g"])
    assert str(raised.value).startswith("could not read management group 'g'") and "\n" not in str(raised.value)


def test_an_unregistered_provider_is_azures_error_for_a_graph_query(tmp_path: Path) -> None:
    """The generated client's pipeline read a 409 MissingSubscriptionRegistration as a provider to
    register: on Resource Graph's path, which names no subscription, it raised ValueError ('Unable
    to extract subscription ID from URL') instead of Azure's error. Nothing but the query is sent."""
    adapter = Pages({"ResourceGraph": (409, NOT_REGISTERED)})
    with pytest.raises(ResourceExistsError, match="MissingSubscriptionRegistration"):
        graph_query(_clients(adapter, tmp_path).arm(), "Resources", ["s1"], "resources")
    assert [r.method for r in adapter.sent] == ["POST"]


def test_an_unregistered_provider_is_azures_error_for_the_subscription_list(tmp_path: Path) -> None:
    adapter = Pages({"/subscriptions": (409, NOT_REGISTERED)})
    with pytest.raises(
        UsageError, match=r"^cannot list the subscriptions \(HTTP 409\): MissingSubscriptionRegistration"
    ):
        visible_subscriptions(_clients(adapter, tmp_path))
    assert [r.method for r in adapter.sent] == ["GET"]


@pytest.mark.parametrize(
    "scope",
    [("--source", "arm"), ("--source", "graph"), ("--management-group", "contoso-landing-zones")],
    ids=["arm", "graph", "management-group"],
)
def test_an_audit_imports_no_generated_management_package(scope: tuple[str, str], tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    audit = ("subscription", "--replay", str(SAMPLE_TENANT), *scope, "-f", "json", "-o", str(report))
    modules = imported(tmp_path, *audit)
    assert json.loads(report.read_text(encoding="utf-8"))["findings"]  # the audit did collect
    assert "azure.mgmt.core" in modules
    assert management_packages(modules) == []
    # every Azure library the audit imported is one azaudit declares (azure-mgmt-core is no longer
    # brought by the management packages)
    declared = [re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0] for d in tomllib.loads(PYPROJECT)["project"]["dependencies"]]
    packages = {".".join(m.split(".")[:3]) for m in modules if m.startswith("azure.") and m not in NAMESPACES}
    assert [
        m for m in sorted(packages) if not any((m + ".").startswith(d.replace("-", ".") + ".") for d in declared)
    ] == []
