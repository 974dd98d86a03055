"""rest_request.bodyless builds the request azure-core's HttpRequest constructor builds: same class,
same attributes (a version of azure-core whose constructor sets another one fails here), same URL
and headers, for URLs with and without a query and parameters of every kind."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.rest import HttpRequest
from azure.core.utils import CaseInsensitiveDict

from azaudit.transport import rest_request

ARM = "https://management.azure.com/subscriptions/s/providers/Microsoft.Security/pricings"


def _state(request: HttpRequest) -> dict[str, Any]:
    state = dict(vars(request))
    headers = state.pop("headers")
    assert type(headers) is CaseInsensitiveDict
    state["headers"] = dict(vars(headers))  # its _store: (lowered name) -> (name as given, value)
    state["class"] = type(request)
    return state


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (ARM, {"api-version": "2024-01-01"}),
        (ARM, {"$filter": "atScope()%20and%20name", "$skiptoken": "a%2Bb", "api-version": "1"}),
        (ARM, {"artifactType": "application/vnd.cncf.notary.signature"}),
        (ARM, {}),
        (ARM, None),
        (ARM + "?api-version=old&keep=1", {"api-version": "new", "x": "y"}),
        (ARM + "?", {"a": "b"}),
        (ARM + "#frag", {"a": "b"}),
        (ARM + ";p", {"a": "b"}),
        ("https://x.azurecr.io/acr/v1/a%2Fb/_tags/t", {"api-version": "2021-07-01"}),
        (ARM, {"n": 3}),
        (ARM, {"many": ["1", "2"]}),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [{"Accept": "application/json"}, {"accept": "x", "X-Other": "1"}, {}, {"Accept": "a", "ACCEPT": "b"}],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_bodyless_request_is_the_one_azure_core_builds(
    method: str, url: str, params: dict[str, Any] | None, headers: dict[str, str]
) -> None:
    expected = HttpRequest(method, url, params=None if params is None else dict(params), headers=dict(headers))
    given = None if params is None else dict(params)
    built = rest_request.bodyless(method, url, headers, given)
    assert _state(built) == _state(expected)
    assert given == params  # the caller's parameters are never updated with a query merged
    assert built.content is None and built.query == expected.query and not built.data and not built.files


def test_a_url_with_a_query_is_left_to_azure_core() -> None:
    assert rest_request.with_query(ARM + "?a=1", {"b": "2"}) is None
    assert rest_request.with_query(ARM + "#f", {"b": "2"}) is None
    assert rest_request.with_query(ARM, {"b": 2}) is None  # type: ignore[dict-item]
    assert rest_request.with_query(ARM, {"b": "2", "c": "3"}) == ARM + "?b=2&c=3"


def test_a_request_built_at_once_can_be_changed_as_one_built_by_azure_core() -> None:
    built = rest_request.bodyless("GET", ARM, {"Accept": "application/json"}, {"api-version": "1"})
    built.headers["Authorization"] = "Bearer t"
    built.url = ARM + "?api-version=2"
    assert built.headers["authorization"] == "Bearer t" and built.url.endswith("=2")
    # the constant header mappings callers pass are not shared with the request
    headers = {"Accept": "application/json"}
    rest_request.bodyless("GET", ARM, headers).headers["Accept"] = "changed"
    assert headers == {"Accept": "application/json"}
