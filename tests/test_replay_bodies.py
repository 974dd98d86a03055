"""Body-aware replay: a POST's body (a Resource Graph query, a form-encoded token exchange) takes
part in matching, compared as JSON; an unmatched body is as loud as an unmatched URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from azaudit.errors import FixtureError, UnmatchedRequestError
from azaudit.replay import ReplayAdapter, load_fixture_dir, replay_session
from azaudit.replay.credential import REPLAY_TENANT_ID, replay_token
from azaudit.replay.recorder import RecordingAdapter

GRAPH = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
QUERY = {"subscriptions": [SUBSCRIPTION], "query": "Resources | where type =~ 'microsoft.containerregistry/registries'"}
ROWS = {"totalRecords": 1, "count": 1, "resultTruncated": "false", "data": [{"name": "contosoacr"}]}


def write_fixture(directory: Path, *interactions: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "graph.json").write_text(json.dumps({"interactions": list(interactions)}), encoding="utf-8")
    return directory


def post(adapter: Any, body: Any = None, form: dict[str, str] | None = None, url: str = GRAPH) -> Any:
    """POST through azure-core's pipeline and ``RequestsTransport`` onto ``adapter``."""
    client: PipelineClient[HttpRequest, Any] = PipelineClient(
        "https://management.azure.com", transport=RequestsTransport(session=replay_session(adapter))
    )
    headers = {"Authorization": f"Bearer {replay_token(REPLAY_TENANT_ID)}"}
    request = HttpRequest("POST", url, json=body, data=form, headers=headers)
    response = client.send_request(request)
    response.raise_for_status()
    return response.json()


def graph_interaction(body: Any, rows: Any = ROWS) -> dict[str, Any]:
    return {"request": {"method": "POST", "url": GRAPH, "body": body}, "response": {"status": 200, "body": rows}}


def test_a_post_matches_its_body_as_json_whatever_the_key_order(tmp_path: Path) -> None:
    other = {**QUERY, "query": "Resources | where type =~ 'microsoft.keyvault/vaults'"}
    vaults = {**ROWS, "data": [{"name": "contosokv"}]}
    tenant = write_fixture(tmp_path, graph_interaction(QUERY), graph_interaction(other, vaults))
    adapter = ReplayAdapter(load_fixture_dir(tenant), str(tenant))
    reordered = {"query": QUERY["query"], "subscriptions": QUERY["subscriptions"]}
    assert post(adapter, reordered)["data"] == [{"name": "contosoacr"}]
    assert post(adapter, other)["data"] == [{"name": "contosokv"}]


def test_an_unmatched_body_is_loud_naming_method_url_and_a_digest_not_the_body(tmp_path: Path) -> None:
    tenant = write_fixture(tmp_path, graph_interaction(QUERY))
    adapter = ReplayAdapter(load_fixture_dir(tenant), str(tenant))
    with pytest.raises(UnmatchedRequestError) as raised:
        post(adapter, {**QUERY, "query": "Resources | project secretish"})
    message = str(raised.value)
    assert "POST" in message and "Microsoft.ResourceGraph/resources" in message
    assert "body sha256:" in message and "secretish" not in message
    with pytest.raises(UnmatchedRequestError, match="no body"):
        post(adapter)  # the same URL without a body matches no interaction that has one


def test_a_form_body_matches_as_the_object_of_its_fields(tmp_path: Path) -> None:
    url = "https://contosoacr.azurecr.io/oauth2/exchange"
    fields = {"grant_type": "access_token", "service": "contosoacr.azurecr.io", "access_token": "stand-in"}
    tenant = write_fixture(
        tmp_path,
        {
            "request": {"method": "POST", "url": url, "body": fields},
            "response": {"status": 200, "body": {"refresh_token": "replayed"}},
        },
    )
    adapter = ReplayAdapter(load_fixture_dir(tenant), str(tenant))
    assert post(adapter, form=dict(reversed(fields.items())), url=url) == {"refresh_token": "replayed"}
    with pytest.raises(UnmatchedRequestError):
        post(adapter, form={**fields, "service": "other.azurecr.io"}, url=url)


def test_the_same_request_twice_is_refused_but_two_bodies_on_one_url_are_not(tmp_path: Path) -> None:
    write_fixture(tmp_path / "ok", graph_interaction(QUERY), graph_interaction({**QUERY, "query": "x"}))
    assert len(load_fixture_dir(tmp_path / "ok")) == 2
    write_fixture(tmp_path / "twice", graph_interaction(QUERY), graph_interaction(dict(reversed(QUERY.items()))))
    with pytest.raises(FixtureError, match="repeats POST"):
        load_fixture_dir(tmp_path / "twice")


def test_a_recorded_json_body_replays(tmp_path: Path) -> None:
    source = write_fixture(tmp_path / "source", graph_interaction(QUERY))
    recorder = RecordingAdapter(ReplayAdapter(load_fixture_dir(source), str(source)))
    post(recorder, QUERY)
    recorder.write(tmp_path / "recorded")
    (written,) = (tmp_path / "recorded").iterdir()
    (interaction,) = json.loads(written.read_text(encoding="utf-8"))["interactions"]
    assert interaction["request"]["body"] == QUERY
    replayed = ReplayAdapter(load_fixture_dir(tmp_path / "recorded"), "recorded")
    post(replayed, QUERY)  # matched: no UnmatchedRequestError
    with pytest.raises(UnmatchedRequestError):
        post(replayed, {**QUERY, "query": "other"})


def test_a_form_body_is_never_recorded(tmp_path: Path) -> None:
    url = "https://contosoacr.azurecr.io/oauth2/exchange"
    fields = {"grant_type": "access_token", "access_token": "Zq7CanaryV4lue"}
    source = write_fixture(
        tmp_path / "source",
        {"request": {"method": "POST", "url": url, "body": fields}, "response": {"status": 200, "body": {}}},
    )
    recorder = RecordingAdapter(ReplayAdapter(load_fixture_dir(source), str(source)))
    post(recorder, form=fields, url=url)
    recorder.write(tmp_path / "recorded")
    assert "Zq7CanaryV4lue" not in "".join(p.read_text() for p in (tmp_path / "recorded").iterdir())
