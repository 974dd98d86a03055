"""The lean sender (azaudit/transport/lean_sender.py) does what azure-core's Pipeline of the same
policies did: each scripted exchange below is sent through both, over the same guarded transport,
and what went on the wire, what came back, the waits and the token requests must be the same."""

from __future__ import annotations

import base64
import copy
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import TooManyRedirectsError
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import RequestIdPolicy, SansIOHTTPPolicy, SensitiveHeaderCleanupPolicy
from azure.core.rest import HttpRequest
from azure.keyvault.secrets._shared import http_challenge_cache
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
from requests.adapters import BaseAdapter

from azaudit import lifecycle
from azaudit.backend import guarded_transport
from azaudit.clients import Clients
from azaudit.clouds import CLOUDS, CloudName
from azaudit.collect import vault_pipeline
from azaudit.collect.arm import arm_get, get_request, json_answer
from azaudit.runconfig import RunConfig
from azaudit.transport import lean_sender
from azaudit.transport.lean_sender import LeanSender, assemble
from tests.conftest import scripted_response

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
ARM = "https://management.azure.com"
PATH = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Security/pricings"
URL = f"{ARM}{PATH}?api-version=2024-01-01"
VAULT = "https://kv-lean.vault.azure.net"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1726000000"}}}'
ENCODED_CLAIMS = base64.urlsafe_b64encode(CLAIMS.encode()).decode().rstrip("=")
CAE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    f'error="insufficient_claims", claims="{ENCODED_CLAIMS}"'
)
VAULT_CHALLENGE = (
    f'Bearer authorization="https://login.microsoftonline.com/{TENANT}", resource="https://vault.azure.net"'
)

Answer = tuple[int, dict[str, str]] | Exception


class Scripted(BaseAdapter):
    """Answers each request with the next scripted (status, headers) or raises the scripted error;
    keeps what was sent."""

    def __init__(self, answers: list[Answer]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "x-ms-client-request-id"}
        self.sent.append((str(request.method), str(request.url), headers))
        answer = self.answers.pop(0) if self.answers else (200, {})
        if isinstance(answer, Exception):
            raise answer
        status, extra = answer
        body = {"value": [], "status": status}
        return scripted_response(request, status, body, {"Content-Type": "application/json; charset=utf-8", **extra})

    def close(self) -> None:
        pass


class Credential:
    """Hands out numbered tokens and records what each token request asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.asked.append((scopes, kwargs))
        return AccessToken(f"token-{len(self.asked)}", 4_102_444_800)


def _clients(adapter: Scripted, tmp_path: Path, credential: Credential) -> Clients:
    transport = guarded_transport(RunConfig(working_directory=tmp_path), _session(adapter))
    retry = {"retry_total": 3, "retry_backoff_factor": 0.5, "retry_backoff_max": 30}
    return Clients(credential, CLOUDS[CloudName.PUBLIC], transport, retry=retry)  # type: ignore[arg-type]


def _session(adapter: Scripted) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", adapter)
    return session


def _reference(config: Any, full: Any, first: list[Any], auth: Any) -> Pipeline[Any, Any]:
    """The pipeline lean_sender.assemble built before it had a sender of its own."""
    transport = getattr(full._transport, "_sender", full._transport)
    policies = [
        *first,
        config.user_agent_policy,
        copy.copy(config.redirect_policy),
        copy.copy(config.retry_policy),
        auth,
        SensitiveHeaderCleanupPolicy(),
    ]
    return Pipeline(transport=transport, policies=policies)


def _arm_senders(client: Any) -> tuple[Any, Any]:
    config = client._config
    first = [getattr(config, "request_id_policy", None) or RequestIdPolicy()]
    reference = _reference(
        config,
        client._client._pipeline,
        first,
        ARMChallengeAuthenticationPolicy(config.credential, *config.credential_scopes),
    )
    return reference, lean_sender.lean_pipeline(client)


def _outcome(sender: Any, url: str) -> tuple[str, Any]:
    try:
        response = sender.run(HttpRequest("GET", url, headers={"Accept": "application/json"}), stream=False)
    except Exception as error:  # the kind of failure is what is compared
        return "raised", type(error).__name__
    return "answered", (response.http_response.status_code, response.http_request.url)


def _run_both(
    make: Any, answers: list[Answer], url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Any, ...]]:
    """What the reference pipeline and the lean sender each did with the same scripted answers:
    (outcome, requests sent, waits asked of the transport, token requests)."""
    results = []
    for index in (0, 1):
        waits: list[float] = []
        monkeypatch.setattr(lifecycle, "wait", waits.append)
        http_challenge_cache.clear()
        adapter, credential = Scripted(copy.deepcopy(answers)), Credential()
        senders = make(_clients(adapter, tmp_path, credential))
        results.append((_outcome(senders[index], url), adapter.sent, waits, credential.asked))
    return results


CASES: dict[str, list[Answer]] = {
    "answered at once": [(200, {})],
    "a 500, then an answer (no wait before the first retry)": [(500, {}), (200, {})],
    "two 500s back off exponentially": [(500, {}), (502, {}), (200, {})],
    "503 with Retry-After": [(503, {"Retry-After": "2"}), (200, {})],
    "429 with retry-after-ms": [(429, {"retry-after-ms": "1500"}), (200, {})],
    "429 with x-ms-retry-after-ms": [(429, {"x-ms-retry-after-ms": "250"}), (200, {})],
    "a 400 with Retry-After is retried": [(400, {"Retry-After": "1"}), (200, {})],
    "retries run out: the last answer is returned": [(500, {})] * 6,
    "a 404 is not retried": [(404, {})],
    "a connection error, then an answer": [requests.ConnectionError("refused"), (200, {})],
    "connection errors run out": [requests.ConnectionError("refused")] * 6,
    "a read timeout, then an answer": [requests.exceptions.ReadTimeout("slow"), (200, {})],
    "a redirect on the same host keeps the token": [
        (301, {"Location": f"{ARM}{PATH}?api-version=2024-01-01&x=1"}),
        (200, {}),
    ],
    "a relative redirect": [(307, {"Location": f"{PATH}?api-version=2024-01-01&y=2"}), (200, {})],
    "a redirect to another host drops the token": [(302, {"Location": f"{VAULT}/elsewhere"}), (200, {})],
    "a 303 redirect": [(303, {"Location": f"{ARM}{PATH}?api-version=2024-01-01&z=3"}), (200, {})],
    "a redirect without a location is the answer": [(302, {})],
    "a redirect, then a retry": [(308, {"Location": f"{ARM}{PATH}?api-version=2024-01-01&r=1"}), (500, {}), (200, {})],
    "too many redirects": [(302, {"Location": f"{ARM}{PATH}?api-version=2024-01-01&loop=1"})] * 40,
    "a continuous access evaluation claims challenge": [(401, {"WWW-Authenticate": CAE}), (200, {})],
    "a 401 without claims is the answer": [(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})],
    "a 401 without a challenge is the answer": [(401, {})],
}


@pytest.mark.parametrize("answers", CASES.values(), ids=CASES.keys())
def test_an_arm_read_goes_as_through_azure_cores_pipeline(
    answers: list[Answer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, lean = _run_both(lambda c: _arm_senders(c.arm()), answers, URL, tmp_path, monkeypatch)
    assert lean == reference


def test_the_cases_cover_what_they_claim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparisons above would pass for two senders that both ignored retries: say what they do."""

    def run(name: str) -> tuple[Any, ...]:
        return _run_both(lambda c: _arm_senders(c.arm()), CASES[name], URL, tmp_path, monkeypatch)[1]

    outcome, sent, waits, asked = run("two 500s back off exponentially")
    assert outcome == ("answered", (200, URL)) and len(sent) == 3 and waits == [1.0]
    outcome, sent, waits, asked = run("429 with retry-after-ms")
    assert waits == [1.5]
    outcome, sent, waits, asked = run("retries run out: the last answer is returned")
    assert outcome[1][0] == 500 and len(sent) == 4
    outcome, sent, waits, asked = run("a redirect to another host drops the token")
    assert "Authorization" in sent[0][2] and "Authorization" not in sent[1][2] and sent[1][1] == f"{VAULT}/elsewhere"
    outcome, sent, waits, asked = run("a redirect on the same host keeps the token")
    assert sent[1][2]["Authorization"] == sent[0][2]["Authorization"]
    assert run("too many redirects")[0] == ("raised", TooManyRedirectsError.__name__)
    assert len(run("too many redirects")[1]) == 31  # the first and azure-core's 30 redirects
    outcome, sent, waits, asked = run("a continuous access evaluation claims challenge")
    assert outcome[1][0] == 200 and asked[1][1]["claims"] == CLAIMS
    assert sent[1][2]["Authorization"] == "Bearer token-2"
    assert run("a 401 without claims is the answer")[0][1][0] == 401


def test_a_request_keeps_one_request_id_across_its_attempts(tmp_path: Path) -> None:
    ids: list[str] = []

    class Ids(Scripted):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            ids.append(str(request.headers["x-ms-client-request-id"]))
            return super().send(request, **kwargs)

    client = _clients(Ids([(500, {}), (200, {})]), tmp_path, Credential()).arm()
    arm_get(client, PATH, "2024-01-01")
    arm_get(client, PATH, "2024-01-01")
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]


VAULT_CASES: dict[str, list[Answer]] = {
    "the vault's challenge, then the list": [(401, {"WWW-Authenticate": VAULT_CHALLENGE}), (200, {})],
    "the vault's challenge, then a claims challenge": [
        (401, {"WWW-Authenticate": VAULT_CHALLENGE}),
        (401, {"WWW-Authenticate": CAE}),
        (200, {}),
    ],
    "a challenge for another resource is refused": [
        (401, {"WWW-Authenticate": VAULT_CHALLENGE.replace("vault.azure.net", "evil.example")})
    ],
    "the vault's challenge, then throttled": [
        (401, {"WWW-Authenticate": VAULT_CHALLENGE}),
        (429, {"Retry-After": "3"}),
        (200, {}),
    ],
}


@pytest.mark.parametrize("answers", VAULT_CASES.values(), ids=VAULT_CASES.keys())
def test_the_vault_secret_list_goes_as_through_azure_cores_pipeline(
    answers: list[Answer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def senders(clients: Clients) -> tuple[Any, Any]:
        client = clients.secrets(VAULT)
        generated = client._client
        config = generated._config
        first = [RequestIdPolicy(), config.headers_policy]
        auth = copy.copy(config.authentication_policy)
        return _reference(config, generated._client._pipeline, first, auth), vault_pipeline.lean_pipeline(client)

    url = f"{VAULT}/secrets?api-version=7.6"
    reference, lean = _run_both(senders, answers, url, tmp_path, monkeypatch)
    assert lean == reference
    assert reference[1][0][2].get("Authorization") is None  # the challenge protocol did run


def test_a_vault_challenge_names_the_tenant_the_token_is_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def senders(clients: Clients) -> tuple[Any, Any]:
        return None, vault_pipeline.lean_pipeline(clients.secrets(VAULT))

    outcome, sent, _, asked = _run_both(
        senders, VAULT_CASES["the vault's challenge, then the list"], VAULT, tmp_path, monkeypatch
    )[1]
    assert outcome[1][0] == 200
    assert asked == [(("https://vault.azure.net/.default",), {"claims": None, "tenant_id": TENANT, "enable_cae": True})]
    assert sent[1][2]["Authorization"] == "Bearer token-1"


def test_a_sansio_authentication_policy_runs_as_in_a_pipeline(tmp_path: Path) -> None:
    seen: list[str] = []

    class Marker(SansIOHTTPPolicy):  # type: ignore[type-arg]
        def on_request(self, request: Any) -> None:
            request.http_request.headers["x-marker"] = "1"
            seen.append("request")

        def on_response(self, request: Any, response: Any) -> None:
            seen.append(f"response {response.http_response.status_code}")

    adapter = Scripted([(500, {}), (200, {})])
    client = _clients(adapter, tmp_path, Credential()).arm()
    sender = assemble(client._config, client._client._pipeline, [RequestIdPolicy()], Marker())
    assert sender.run(HttpRequest("GET", URL), stream=False).http_response.status_code == 200
    assert seen == ["request", "response 500", "request", "response 200"]
    assert all(headers.get("x-marker") == "1" and "Authorization" not in headers for _, _, headers in adapter.sent)


def test_a_header_policy_must_be_one(tmp_path: Path) -> None:
    client = _clients(Scripted([]), tmp_path, Credential()).arm()
    config = client._config
    with pytest.raises(TypeError, match="not a header"):
        LeanSender(
            client._client._pipeline._transport,
            [config.retry_policy],
            config.redirect_policy,
            config.retry_policy,
            None,
        )
    with pytest.raises(TypeError, match="unexpected options"):
        lean_sender.lean_pipeline(client).run(HttpRequest("GET", URL), retry_total=0)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (f"{ARM}{PATH}", {"api-version": "2024-01-01"}),
        (f"{ARM}{PATH}", {"$filter": "atScope() and name eq 'a b'", "$skiptoken": "a+b=/c", "api-version": "1"}),
        (f"{ARM}{PATH}?api-version=old&keep=1", {"api-version": "new", "x": "y"}),
        (f"{ARM}{PATH}", {}),
    ],
)
def test_the_request_url_is_the_one_azure_core_writes(url: str, params: dict[str, str]) -> None:
    from urllib.parse import quote

    expected = HttpRequest("GET", url, params={k: quote(v) for k, v in params.items()})
    built = get_request(url, params)
    assert built.url == expected.url and built.method == "GET" and built.headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        PATH,
        "/subscriptions",
        "subscriptions/relative",
        "//double/slash",
        "/a:b/c(d)/e%20f",
        f"{PATH}?$filter=x",
        "/{template}/x",
        "https://management.azure.com/absolute",
    ],
)
@pytest.mark.parametrize("base", [ARM, ARM + "/", ARM + "/base/", ARM + "/?q=1", ARM + "/{endpoint}"])
def test_a_path_is_joined_to_the_base_url_as_format_url_joins_it(path: str, base: str) -> None:
    from azure.mgmt.core import ARMPipelineClient

    from azaudit.collect import arm

    class Client:
        def __init__(self) -> None:
            self._client: Any = ARMPipelineClient(base_url=base, policies=[])

    client = Client()
    try:
        expected: Any = client._client.format_url(path)
    except Exception as error:
        expected = type(error)
    try:
        found: Any = arm._url(client, path)
    except Exception as error:
        found = type(error)
    assert found == expected


class _Answer:
    def __init__(self, content_type: str | None, content: bytes) -> None:
        from azure.core.rest._http_response_impl import HttpResponseImpl

        self.response = HttpResponseImpl(
            request=HttpRequest("GET", URL),
            internal_response=None,
            status_code=200,
            reason="OK",
            content_type=content_type or "",
            headers={"Content-Type": content_type} if content_type else {},
            stream_download_generator=None,
        )
        self.response._content = content


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "application/json;charset=utf-8",
        "application/json",
        "application/json; charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/json; charset=latin-1",
        "text/plain",
        None,
    ],
)
@pytest.mark.parametrize(
    "content",
    [
        b'{"value": [1]}',
        b'\xef\xbb\xbf{"value": "bom"}',
        '{"name": "caf\u00e9"}'.encode(),
        b'{"bad": "\xff"}',
        b"",
        b"not json",
    ],
)
def test_a_body_is_read_as_azure_cores_json_reads_it(content_type: str | None, content: bytes) -> None:
    def outcome(read: Any) -> Any:
        try:
            return read(_Answer(content_type, content).response)
        except Exception as error:
            return type(error)

    def azure_core(response: Any) -> Any:
        try:
            return response.json()
        except ValueError:
            return json_answer(response)  # the decoder's error, as before

    assert outcome(json_answer) == outcome(azure_core)


def test_request_ids_are_guids_no_two_requests_share(tmp_path: Path) -> None:
    import uuid

    adapter = Scripted([])
    client = _clients(adapter, tmp_path, Credential()).arm()
    sender = lean_sender.lean_pipeline(client)
    sent = [sender.run(HttpRequest("GET", URL)).http_request.headers["x-ms-client-request-id"] for _ in range(50)]
    assert len(set(sent)) == 50
    assert all(str(uuid.UUID(value)) == value for value in sent)  # a GUID, written as Azure writes them
    # a request that carries its own id keeps it, as with the client's policy
    own = HttpRequest("GET", URL, headers={"x-ms-client-request-id": "mine"})
    assert sender.run(own).http_request.headers["x-ms-client-request-id"] == "mine"


def test_a_forked_process_sends_request_ids_of_its_own() -> None:
    """A forked collection process counts its requests from zero: its ids must still differ from the parent's."""
    before = lean_sender.next_request_id()
    reading, writing = os.pipe()
    # Python 3.12+ warns that forking a process with threads (other tests' helpers) may deadlock the
    # child: this one takes no lock, it only writes to a pipe and leaves.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*multi-threaded, use of fork\(\) may lead", category=DeprecationWarning
        )
        pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        try:
            os.write(writing, " ".join(lean_sender.next_request_id() for _ in range(3)).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        child = pipe.read().split()
    os.waitpid(pid, 0)
    parent = [lean_sender.next_request_id() for _ in range(3)]
    assert len(child) == 3 and not set(child) & {before, *parent}
    assert {value[:24] for value in child} != {value[:24] for value in parent}


def test_a_request_id_policy_with_other_settings_decides_itself(tmp_path: Path) -> None:
    client = _clients(Scripted([]), tmp_path, Credential()).arm()
    fixed = RequestIdPolicy(request_id="fixed-id")
    named = RequestIdPolicy(request_id_header_name="x-other-id")
    off = RequestIdPolicy(auto_request_id=False)
    for policy, header, expected in (
        (fixed, "x-ms-client-request-id", "fixed-id"),
        (off, "x-ms-client-request-id", None),
    ):
        sender = assemble(client._config, client._client._pipeline, [policy], SansIOHTTPPolicy())
        assert sender.run(HttpRequest("GET", URL)).http_request.headers.get(header) == expected
    sender = assemble(client._config, client._client._pipeline, [named], SansIOHTTPPolicy())
    assert len(sender.run(HttpRequest("GET", URL)).http_request.headers["x-other-id"]) == 36
    later = RequestIdPolicy()
    sender = assemble(client._config, client._client._pipeline, [later], SansIOHTTPPolicy())
    later.set_request_id("set-later")
    assert sender.run(HttpRequest("GET", URL)).http_request.headers["x-ms-client-request-id"] == "set-later"


USER_AGENT_SETTINGS = {
    "no AZURE_HTTP_USER_AGENT": ({}, None, None),
    "AZURE_HTTP_USER_AGENT added": ({"use_env": True}, "ci-runner/7", None),
    "AZURE_HTTP_USER_AGENT not used": ({"use_env": False}, "ci-runner/7", None),
    "a value added to the policy": ({"add": "azaudit-extra/1"}, "ci-runner/7", None),
    "the request's own agent kept": ({}, "ci-runner/7", "mine/1"),
    "the request's own agent overwritten": ({"overwrite": True}, "ci-runner/7", "mine/1"),
    "the request's own agent in another case": ({}, None, "mine/2"),
}


@pytest.mark.parametrize("setting", USER_AGENT_SETTINGS.values(), ids=USER_AGENT_SETTINGS.keys())
def test_the_user_agent_is_the_one_azure_cores_policy_writes(
    setting: tuple[dict[str, Any], str | None, str | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lean sender writes User-Agent itself (not through UserAgentPolicy.on_request, which reads
    os.environ on every request): byte for byte what the client's policy writes in a Pipeline."""
    changes, env, own = setting
    if env is None:
        monkeypatch.delenv("AZURE_HTTP_USER_AGENT", raising=False)
    else:
        monkeypatch.setenv("AZURE_HTTP_USER_AGENT", env)
    sent = []
    for index in (0, 1):
        adapter = Scripted([(200, {})])
        client = _clients(adapter, tmp_path, Credential()).arm()
        policy = client._config.user_agent_policy
        if "add" in changes:
            policy.add_user_agent(changes["add"])
        policy.overwrite = changes.get("overwrite", policy.overwrite)
        policy.use_env = changes.get("use_env", policy.use_env)
        sender = _arm_senders(client)[index]
        headers = {"Accept": "application/json"}
        if own is not None:
            headers["user-agent" if own.endswith("2") else "User-Agent"] = own
        sender.run(HttpRequest("GET", URL, headers=headers), stream=False)
        sent.append(adapter.sent[0][2])
    assert sent[1] == sent[0]
    agent = next(value for name, value in sent[1].items() if name.lower() == "user-agent")
    if own is not None and not changes.get("overwrite"):
        assert agent == own
    else:
        assert agent.startswith("azsdk-python-")
        assert ("azaudit-extra/1" in agent) == ("add" in changes)
        assert agent.endswith(" ci-runner/7") == bool(env is not None and changes.get("use_env", True))


@pytest.mark.parametrize("given", [None, "x-ms-client-request-id", "X-MS-CLIENT-REQUEST-ID", "X-Ms-Client-Request-Id"])
def test_a_request_id_the_request_carries_is_kept_in_any_case(given: str | None, tmp_path: Path) -> None:
    class Ids(Scripted):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            self.seen = dict(request.headers)
            return super().send(request, **kwargs)

    ids = []
    for index in (0, 1):
        adapter = Ids([(200, {})])
        client = _clients(adapter, tmp_path, Credential()).arm()
        headers = {"Accept": "application/json"} | ({given: "mine"} if given else {})
        _arm_senders(client)[index].run(HttpRequest("GET", URL, headers=headers), stream=False)
        ids.append({name: value for name, value in adapter.seen.items() if name.lower() == "x-ms-client-request-id"})
    if given is None:
        assert [list(found) for found in ids] == [["x-ms-client-request-id"]] * 2  # each a new id
    else:
        assert ids == [{given: "mine"}] * 2


def test_vault_senders_share_their_policies_and_keep_their_own_challenge_policy(tmp_path: Path) -> None:
    """Each vault's sender is the shared generated client's with a challenge policy of its own:
    the header, redirect and retry policies and the last step are the same objects; the
    authentication policy (which keeps the vault's token) is each vault's, chained to that step."""
    clients = _clients(Scripted([]), tmp_path, Credential())
    first, second = clients.secrets(VAULT), clients.secrets("https://kv-other.vault.azure.net")
    assert first._client is second._client
    a, b = vault_pipeline.lean_pipeline(first), vault_pipeline.lean_pipeline(second)
    assert a is vault_pipeline.lean_pipeline(first)  # one per client
    assert a._headers is b._headers and a._redirect is b._redirect and a._retry is b._retry
    assert a._transport is b._transport is clients.transport
    assert a._auth is not b._auth and type(a._auth) is type(first._client._config.authentication_policy)
    assert a._auth is not first._client._config.authentication_policy
    assert a._auth.next is b._auth.next is a._last


def test_senders_made_from_one_keep_their_own_authentication(tmp_path: Path) -> None:
    """with_auth: a SansIO policy runs as in a pipeline, and the sender it was made from keeps its own."""
    adapter = Scripted([])
    client = _clients(adapter, tmp_path, Credential()).arm()

    class Marker(SansIOHTTPPolicy):  # type: ignore[type-arg]
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

        def on_request(self, request: Any) -> None:
            request.http_request.headers["x-marker"] = self.value

    sender = assemble(client._config, client._client._pipeline, [RequestIdPolicy()], Marker("first"))
    made = sender.with_auth(Marker("second"))
    for which in (made, sender, made):
        assert which.run(HttpRequest("GET", URL), stream=False).http_response.status_code == 200
    assert [headers["x-marker"] for _, _, headers in adapter.sent] == ["second", "first", "second"]
