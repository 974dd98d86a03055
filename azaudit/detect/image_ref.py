"""Parse container image references the way Docker does, and match registries against a list.

The grammar is Docker's (``github.com/distribution/reference``)::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] remote-name
    domain     := host [ ":" port ]           host: DNS-like name, IPv4, or [IPv6]
    remote-name:= path-component ( "/" path-component )*   lower case only
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex           sha256: 64 hex, sha384: 96, sha512: 128

The first path component is a registry only when it contains a ``.`` or a ``:``, is
``localhost``, or has an upper-case letter (a repository cannot, so Docker reads it as a host);
otherwise the image is on Docker Hub (``docker.io``), where a name without a namespace is an
official image (``library/<name>``). Registry hosts are case-insensitive and kept lower-cased;
the Docker Hub aliases (``index.docker.io``, ``registry-1.docker.io``,
``registry.hub.docker.com``) become ``docker.io``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import msgspec

DOCKER_HUB = "docker.io"
# Docker Hub's names, all the same registry.
DOCKER_HUB_ALIASES = frozenset(
    [
        DOCKER_HUB,
        "index.docker.io",
        "registry-1.docker.io",
        "registry.hub.docker.com",
    ]
)
OFFICIAL_NAMESPACE = "library"
DEFAULT_TAG = "latest"
NAME_MAX_LENGTH = 255  # domain + "/" + remote name, as Docker limits it

_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[A-Fa-f0-9:]+\])"
DOMAIN = re.compile(rf"^{_HOST}(?::[0-9]+)?$")
PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
TAG = re.compile(r"^\w[\w.-]{0,127}$", re.ASCII)
_ALGORITHM = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
DIGEST = re.compile(rf"^(?P<algorithm>{_ALGORITHM}):(?P<hex>[0-9A-Fa-f]{{32,}})$")
# Digest algorithms a registry accepts, with the length of their lower-case hex encoding.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")  # an image ID, which Docker refuses as a name


class ImageReference(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed image reference. ``registry`` is a lower-cased ``host[:port]``; ``repository``
    is the path inside it (``library/nginx`` for Docker Hub's official ``nginx``); ``original``
    is the reference as given."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None
    original: str

    @property
    def name(self) -> str:
        """``registry/repository``, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def is_mutable(self) -> bool:
        """True when nothing pins the image: no digest, and the tag is ``latest`` or missing
        (a missing tag means ``latest``). A version tag counts as pinned."""
        return self.digest is None and (self.tag is None or self.tag == DEFAULT_TAG)


def _split_digest(text: str) -> tuple[str, str | None]:
    """``name[:tag]`` and the validated digest after ``@``, if any."""
    if "@" not in text:
        return text, None
    rest, digest = text.split("@", 1)
    match = DIGEST.match(digest)
    if match is None:
        raise ValueError(
            "invalid image reference: the digest after '@' must be <algorithm>:<hex>, at least 32 hex digits"
        )
    algorithm, encoded = match.group("algorithm"), match.group("hex")
    expected = DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        raise ValueError(f"invalid image reference: unsupported digest algorithm {algorithm!r}")
    if len(encoded) != expected or encoded != encoded.lower():
        raise ValueError(f"invalid image reference: a {algorithm} digest is {expected} lower-case hex digits")
    return rest, digest


def _split_tag(text: str) -> tuple[str, str | None]:
    """The name and the validated tag: the tag follows the last ``:`` after the last ``/``
    (a ``:`` before it belongs to a registry port)."""
    colon = text.rfind(":")
    if colon <= text.rfind("/"):
        return text, None
    name, tag = text[:colon], text[colon + 1 :]
    if not TAG.match(tag):
        raise ValueError(
            "invalid image reference: a tag is 1-128 letters, digits, '_', '.' or '-' and does not start "
            "with '.' or '-'"
        )
    return name, tag


def _split_registry(name: str) -> tuple[str, str]:
    """(registry, remote name) by Docker's rule for the first path component."""
    first, slash, rest = name.partition("/")
    if slash and (first == "localhost" or "." in first or ":" in first or first.lower() != first):
        if not DOMAIN.match(first):
            raise ValueError(
                "invalid image reference: the registry must be a host or IP address, with an optional port"
            )
        return first.lower(), rest
    return DOCKER_HUB, name


def _validate_repository(repository: str) -> None:
    """Each path component is lower-case letters and digits joined by ``.``, ``_``, ``__`` or dashes."""
    if repository != repository.lower():
        raise ValueError("invalid image reference: the repository name must be lower case")
    if not all(PATH_COMPONENT.match(component) for component in repository.split("/")):
        raise ValueError(
            "invalid image reference: repository path components are lower-case letters and digits "
            "separated by '.', '_', '__' or '-'"
        )


def parse_image_reference(reference: str) -> ImageReference:
    """Parse ``reference`` (surrounding whitespace ignored) into its registry, repository, tag and
    digest. Raises ValueError, saying what is wrong, for an empty or malformed reference."""
    original = reference
    text = reference.strip()
    if not text:
        raise ValueError("invalid image reference: it is empty")
    if len(text.split(maxsplit=1)) > 1:  # str.split's whitespace is str.isspace's, without a call per character
        raise ValueError("invalid image reference: it contains whitespace")
    if IDENTIFIER.match(text):
        raise ValueError("invalid image reference: a 64-hex-digit image ID is not a repository name")
    rest, digest = _split_digest(text)
    name, tag = _split_tag(rest)
    if not name:
        raise ValueError("invalid image reference: the repository name is missing")
    registry, repository = _split_registry(name)
    _validate_repository(repository)
    if len(registry) + 1 + len(repository) > NAME_MAX_LENGTH:
        raise ValueError(f"invalid image reference: the name is longer than {NAME_MAX_LENGTH} characters")
    if registry in DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"{OFFICIAL_NAMESPACE}/{repository}"
    return ImageReference(registry=registry, repository=repository, tag=tag, digest=digest, original=original)


@functools.lru_cache(maxsize=4096)
def image_reference_or_none(reference: str) -> ImageReference | None:
    """The parsed reference, or None when it cannot be parsed (ACI002 reports why). Remembered for
    the last few thousand references: a tenant runs few distinct images in many containers, and
    each image check asks about every container (a reference is frozen, so one serves them all)."""
    try:
        return parse_image_reference(reference)
    except ValueError:
        return None


def _normalise_host(host: str) -> str:
    lowered = host.strip().lower()
    return DOCKER_HUB if lowered in DOCKER_HUB_ALIASES else lowered


def registry_matches(registry: str, approved: Sequence[str]) -> bool:
    """Whether ``registry`` (``host[:port]``) is on the ``approved`` list.

    An entry is an exact host, compared case-insensitively with the port significant
    (``myacr.azurecr.io`` does not match ``myacr.azurecr.io:443``), or a wildcard ``*.suffix``
    that matches any host ending with ``.suffix`` (``*.azurecr.io`` matches
    ``contoso.azurecr.io``, not ``azurecr.io`` itself). Docker Hub aliases are the same host.
    A caller asking about many registries makes an :class:`ApprovedRegistries` once instead.
    """
    return ApprovedRegistries(approved).matches(registry)


class ApprovedRegistries:
    """An approved list made ready once for :func:`registry_matches`' question: the exact hosts in
    a set, the wildcards' suffixes apart. Normalising and scanning the whole list for each image
    cost ACI001 one pass over every audited registry per container (at 1,500 registries and 9,000
    containers, most of the checks' time); a set answers in one look-up."""

    __slots__ = ("_exact", "_suffixes")

    def __init__(self, approved: Iterable[str]) -> None:
        exact: set[str] = set()
        suffixes: list[str] = []
        for entry in approved:
            wanted = _normalise_host(entry)
            if not wanted.startswith("*."):
                exact.add(wanted)
            elif len(wanted) > 2:
                suffixes.append(wanted[1:])  # ".azurecr.io": a label must come before it
        self._exact = frozenset(exact)
        self._suffixes = tuple(dict.fromkeys(suffixes))

    def matches(self, registry: str) -> bool:
        host = _normalise_host(registry)
        if not host:
            return False
        return host in self._exact or any(host.endswith(suffix) for suffix in self._suffixes)


MICROSOFT_CONTAINER_REGISTRY = "mcr.microsoft.com"


def default_approved_registries(login_servers: Iterable[str]) -> tuple[str, ...]:
    """The approved registries when none are configured: the login servers of the registries
    audited (exact hosts, lower-cased, in order) and Microsoft Container Registry. Never a
    wildcard such as ``*.azurecr.io``: anyone can create a registry there."""
    hosts = sorted({host.strip().lower() for host in login_servers if host.strip()})
    return (*hosts, MICROSOFT_CONTAINER_REGISTRY)


def quoted(image: str) -> str:
    """An image reference as quoted in a finding: one line, bounded length."""
    flat = " ".join(image.split())
    return repr(flat if len(flat) <= 120 else flat[:117] + "...")
