"""Refuse, before it leaves the process, any request that could return a secret value.

azaudit is read-only and never reads a secret. This guard sits in the one transport every client
uses, in every mode (live, replay, benchmark), so no code path can read a value by mistake:

- only ``GET`` requests are sent (``POST`` is allowed for the Resource Graph query endpoint alone,
  which reads inventory), so no ``listCredentials``, ``listKeys``, ``regenerate``, ``exec`` or
  other action can run;
- an action name (``listKeys``, ``listCredentials``, ``regenerateCredential``,
  ``generateCredentials``... any ``list*``, ``generate*``, ``regenerate*``) where a collection
  name belongs is refused even as a ``GET`` (except on a registry's data plane, which has no
  actions and whose paths hold repository names): the service would reject it, and it must never
  be tried;
- Key Vault data-plane reads of one secret (``GET /secrets/{name}`` and
  ``/secrets/{name}/{version}``) are refused on any host (a vault's own name, a private-link
  name, a trailing-dot name all reach the same vault), while listing metadata (``/secrets``,
  ``/secrets/{name}/versions``) is allowed;
- the ARM read of one secret (``…/vaults/{vault}/secrets/{name}``) is refused; the list is
  metadata only;
- container logs are refused: they can carry anything a program printed;
- no registry blob (an image layer or config, ``/v2/{repository}/blobs/{digest}``) is ever
  fetched, nor an upload route touched: the image checks read metadata (tags, manifests'
  properties, referrers) only, of any repository name (``orders/blobs/uploads`` included);
- ``POST`` reaches a registry only for the SDK's token exchange (``/oauth2/exchange``,
  ``/oauth2/token`` on a ``*.azurecr.*`` login server); the transport further limits it to the
  audited registries.

The rules judge the path as the server will see it: percent-encoding (also double), ``\\``,
``//``, ``/./`` and ``..`` are resolved first, and names compare without regard to case, so a
spelling cannot slip a secret read past them.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from azaudit.errors import SecretReadRefusedError

_DATA_PLANE_SECRET = re.compile(r"^/(deleted)?secrets/[^/]+(/(?!versions/?$)[^/]+)?/?$", re.IGNORECASE)
_ARM_SECRET = re.compile(r"/providers/microsoft\.keyvault/vaults/[^/]+/secrets/[^/]+/?$", re.IGNORECASE)
_CONTAINER_LOGS = re.compile(r"/containers/[^/]+/logs/?$", re.IGNORECASE)
_RESOURCE_GRAPH = re.compile(r"^/providers/microsoft\.resourcegraph/resources/?$", re.IGNORECASE)
# A registry's blobs (layers, configs): content, never metadata. The OCI distribution spec's blob
# routes end in ``blobs/{digest}`` (a download) or ``blobs/uploads/[{reference}]`` (an upload);
# ``blobs`` or ``uploads`` elsewhere is a repository path component.
_REGISTRY_BLOB = re.compile(r"^/v2/.+/blobs/(?:[^/]+|uploads(?:/.*)?)$", re.IGNORECASE)
# The metadata routes of the distribution spec (``tags/list``, ``manifests/{reference}``,
# ``referrers/{digest}``) of a repository name its grammar allows: components
# ``[a-z0-9]+(?:[._-][a-z0-9]+)*`` (``__`` and runs of ``-`` too) joined by ``/``. Such a path is never
# a blob route, whatever its name holds (``/v2/orders/blobs/uploads/referrers/{digest}`` is the
# referrers of the repository ``orders/blobs/uploads``); ACR's ``/acr/v1/{name}/_tags`` and
# ``/_manifests`` are never under ``/v2``.
_NAME_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REGISTRY_METADATA = re.compile(
    rf"^/v2/{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*/(?:tags/list|manifests/[^/]+|referrers/[^/]+)$"
)
# The registry token exchange (AAD access token -> ACR refresh token -> ACR access token).
_REGISTRY_TOKEN = re.compile(r"^/oauth2/(exchange|token)$", re.IGNORECASE)
# Login-server DNS suffixes of every cloud (azaudit/clouds.py): the token exchange goes nowhere else.
_REGISTRY_SUFFIXES = (".azurecr.io", ".azurecr.cn", ".azurecr.us")
# A segment's parameters: ``;`` up to the end of the segment.
_PATH_PARAMETERS = re.compile(r";[^/]*")
# Resource actions (ARM answers them on POST only): listKeys, listCredentials, listSecrets,
# listAdminKeys, regenerateCredential, generateCredentials, regenerateKey, rotateKey...
_ACTION = re.compile(r"^(list\w+|list|regenerate\w*|generate\w*|rotate\w*|revoke\w*|reset\w*)$", re.IGNORECASE)


def normalised_path(url: str, path: str | None = None) -> str:
    """The path of ``url`` as the server resolves it: decoded (repeatedly, so ``%252F`` counts),
    backslashes as slashes, empty and ``.`` segments dropped, ``..`` applied. ``path`` is the URL's
    path when the caller has split it already."""
    if path is None:
        path = urlsplit(url).path
    if "%" in path or "\\" in path or "//" in path or "/." in path or path[:1] == ".":
        return _resolved(path)
    # No escape, backslash, empty segment or segment starting with a dot (``.``, ``..``: the slow
    # way decides those): only the slashes at its ends can change.
    inner = path.strip("/")
    return "/" + inner if inner else "/"


def _resolved(path: str) -> str:
    for _ in range(4):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    path = re.sub(r"/+", "/", "/" + path.replace("\\", "/"))
    resolved = posixpath.normpath(path)
    return "/" if resolved in (".", "//") else resolved


def _action_segment(path: str) -> str | None:
    """An action name standing where a collection name belongs, if any.

    Segments alternate collection/name from the root (``subscriptions/{id}/resourceGroups/{rg}``,
    ``secrets/{name}/versions``) and again after each ``providers/{namespace}``; an action is a
    collection-position segment. A resource *named* ``listkeys`` sits at a name position and is
    not mistaken for one.
    """
    if path.isascii():  # (re's ignore-case matches some other letters to ASCII ones: 'ſ' is 's')
        low = "/" + path.lower()
        # how an action's segment starts: a path with none of these has no action segment
        if not (
            "/list" in low
            or "/regenerate" in low
            or "/generate" in low
            or "/rotate" in low
            or "/revoke" in low
            or "/reset" in low
        ):
            return None
    segments = [s for s in path.split("/") if s]
    collection_at = 0
    i = 0
    while i < len(segments):
        segment = segments[i]
        if (i - collection_at) % 2 == 0:
            if segment.lower() == "providers" and i + 1 < len(segments):
                collection_at = i + 2
                i += 2
                continue
            if _ACTION.match(segment):
                return segment
        i += 1
    return None


def refusal(method: str, url: str, *, host: str | None = None, path: str | None = None) -> str | None:
    """Why this request must not be sent, or None when it is safe. ``host`` (lower case, no
    trailing dot) and ``path`` (:func:`normalised_path`) are the URL's, when the caller has them."""
    if path is None:
        path = normalised_path(url)
    if host is None:
        host = _host(url)
    registry = host.endswith(_REGISTRY_SUFFIXES)
    verb = method.upper()
    if verb not in ("GET", "HEAD") and not (
        verb == "POST" and (_RESOURCE_GRAPH.match(path) or (registry and _REGISTRY_TOKEN.match(path)))
    ):
        return f"azaudit only reads: {verb} is not allowed"
    # A segment's parameters (``blobs;x=1``, RFC 3986) are dropped by servers that route on the
    # Servlet API, Spring, Jetty and some proxies: judge the path they resolve as well.
    # ``..;`` is ``..`` there: resolve again once the parameters are gone.
    stripped = posixpath.normpath(_PATH_PARAMETERS.sub("", path)) if ";" in path else path
    for judged in (path, stripped) if stripped != path else (path,):
        reason = _read_refusal(judged, registry=registry)
        if reason:
            return reason
    return None


def _read_refusal(path: str, *, registry: bool) -> str | None:
    """Why a GET of this normalised path would read a secret, content or an action, or None."""
    if _REGISTRY_BLOB.match(path) and not _REGISTRY_METADATA.match(path):
        return "registry blobs (image layers and configs) are never downloaded: only metadata is read"
    # ARM's and Key Vault's actions: a registry's data plane has none, and its paths hold repository
    # names (``hub/listings``, ``tools/resetter``), written by whoever pushes an image.
    action = None if registry else _action_segment(path)
    if action is not None:
        return f"{action} is an action, never sent (azaudit never lists keys or credentials)"
    if _DATA_PLANE_SECRET.match(path):
        return "reading a Key Vault secret value is never allowed"
    if _ARM_SECRET.search(path):
        return "reading one Key Vault secret through ARM is never allowed (the list gives metadata)"
    if _CONTAINER_LOGS.search(path):
        return "container logs may hold secrets and are never read"
    return None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def enforce(method: str, url: str, *, host: str | None = None, path: str | None = None) -> None:
    """Raise :class:`~azaudit.errors.SecretReadRefusedError` when :func:`refusal` refuses it."""
    reason = refusal(method, url, host=host, path=path)
    if reason:
        safe = urlsplit(url)._replace(query="", fragment="").geturl()
        raise SecretReadRefusedError(f"refused {method.upper()} {safe}: {reason}")
