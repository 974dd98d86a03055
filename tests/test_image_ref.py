"""Image references parse as Docker parses them; registries match exact hosts and *.suffix wildcards."""

from __future__ import annotations

import pytest

from azaudit.detect.image_ref import (
    ImageReference,
    default_approved_registries,
    parse_image_reference,
    registry_matches,
)

DIGEST = "sha256:2b7412e6465c3c7fc5bb21d3e6f1917c167358449fecac8176c6e496e5c1f05f"
SHA512 = "sha512:" + "0123456789abcdef" * 8


@pytest.mark.parametrize(
    ("reference", "registry", "repository", "tag", "digest"),
    [
        # Docker Hub: bare names are official images, one component more is a namespace.
        ("nginx", "docker.io", "library/nginx", None, None),
        ("nginx:1.27", "docker.io", "library/nginx", "1.27", None),
        ("nginx:latest", "docker.io", "library/nginx", "latest", None),
        ("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", None),
        ("library/alpine:3.20", "docker.io", "library/alpine", "3.20", None),
        ("docker.io/nginx", "docker.io", "library/nginx", None, None),
        ("docker.io/library/alpine:3.20", "docker.io", "library/alpine", "3.20", None),
        ("index.docker.io/nginx:1", "docker.io", "library/nginx", "1", None),
        ("registry-1.docker.io/bitnami/redis", "docker.io", "bitnami/redis", None, None),
        ("registry.hub.docker.com/library/busybox:1.36", "docker.io", "library/busybox", "1.36", None),
        ("a/b/c/d", "docker.io", "a/b/c/d", None, None),
        ("my_org/my-app__x.y", "docker.io", "my_org/my-app__x.y", None, None),
        # A first component with no dot, colon or upper case is a namespace, not a host.
        ("registry/app:1", "docker.io", "registry/app", "1", None),
        # localhost, and a bare name that only looks like a host: `localhost:5000` is name:tag.
        ("localhost/app", "localhost", "app", None, None),
        ("localhost:5000/team/app:dev", "localhost:5000", "team/app", "dev", None),
        ("localhost:5000", "docker.io", "library/localhost", "5000", None),
        # Registries: case-insensitive hosts, ports, IPs, sovereign-cloud ACR.
        ("contoso.azurecr.io/api/orders:2.4.1", "contoso.azurecr.io", "api/orders", "2.4.1", None),
        ("MyRegistry.AzureCR.io/app:1", "myregistry.azurecr.io", "app", "1", None),
        ("MyRegistry/app:1", "myregistry", "app", "1", None),  # upper case: Docker reads a host
        ("contoso.azurecr.cn/app:1.0", "contoso.azurecr.cn", "app", "1.0", None),
        ("contoso.azurecr.us/gov/app:1.0", "contoso.azurecr.us", "gov/app", "1.0", None),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", "mcr.microsoft.com", "dotnet/aspnet", "8.0", None),
        ("registry.example.com:5000/app:1", "registry.example.com:5000", "app", "1", None),
        ("10.0.0.4:5000/team/app:1.2", "10.0.0.4:5000", "team/app", "1.2", None),
        ("[::1]:5000/app:1", "[::1]:5000", "app", "1", None),
        ("ghcr.io/org/app:v1.2.3-rc.1_build", "ghcr.io", "org/app", "v1.2.3-rc.1_build", None),
        # Digests, alone or with a tag.
        (f"nginx@{DIGEST}", "docker.io", "library/nginx", None, DIGEST),
        (f"nginx:1.27@{DIGEST}", "docker.io", "library/nginx", "1.27", DIGEST),
        (f"contoso.azurecr.io/app:latest@{DIGEST}", "contoso.azurecr.io", "app", "latest", DIGEST),
        (f"localhost:5000/app@{SHA512}", "localhost:5000", "app", None, SHA512),
        # Surrounding whitespace is ignored.
        ("  contoso.azurecr.io/app:1\n", "contoso.azurecr.io", "app", "1", None),
    ],
)
def test_parse_image_reference(
    reference: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    parsed = parse_image_reference(reference)
    assert parsed == ImageReference(
        registry=registry, repository=repository, tag=tag, digest=digest, original=reference
    )
    assert parsed.name == f"{registry}/{repository}"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("contoso.azurecr.io/App:1", "lower case"),
        ("Nginx", "lower case"),
        ("localhost:5000/Team/app", "lower case"),
        ("nginx:bad tag", "whitespace"),
        ("nginx:bad/tag", "registry must be a host"),  # a ':' before a '/' makes a host:port
        ("nginx:-rc1", "tag"),
        ("nginx:" + "x" * 129, "tag"),
        ("nginx:", "tag"),
        ("nginx@sha256:1234", "at least 32 hex digits"),
        ("nginx@sha256:" + "A" * 64, "lower-case hex"),
        ("nginx@sha256-" + "a" * 64, "<algorithm>:<hex>"),
        ("nginx@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("nginx@", "<algorithm>:<hex>"),
        (f"@{DIGEST}", "repository name is missing"),
        (":1.0", "repository name is missing"),
        ("contoso.azurecr.io/", "path components"),
        ("a//b", "path components"),
        ("app-/x", "path components"),
        ("_app", "path components"),
        ("bad_host.example.com/app", "registry must be a host"),
        ("-bad.example.com/app", "registry must be a host"),
        ("2b7412e6465c3c7fc5bb21d3e6f1917c167358449fecac8176c6e496e5c1f05f", "image ID"),
        ("registry.example.com/" + "a" * 250, "255"),
    ],
)
def test_malformed_references_raise_a_clear_error(reference: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid image reference") as raised:
        parse_image_reference(reference)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("reference", "mutable"),
    [
        ("nginx", True),
        ("nginx:latest", True),
        ("contoso.azurecr.io/app:latest", True),
        ("contoso.azurecr.io/app", True),
        ("nginx:1.27", False),
        ("nginx:Latest", False),  # tags are case-sensitive: only `latest` is the default tag
        (f"nginx@{DIGEST}", False),
        (f"nginx:latest@{DIGEST}", False),
    ],
)
def test_is_mutable(reference: str, mutable: bool) -> None:
    assert parse_image_reference(reference).is_mutable is mutable


APPROVED = ("*.azurecr.io", "mcr.microsoft.com", "registry.example.com:5000")


@pytest.mark.parametrize(
    ("registry", "approved", "matches"),
    [
        ("contoso.azurecr.io", APPROVED, True),
        ("CONTOSO.AzureCR.io", APPROVED, True),
        ("deep.sub.azurecr.io", APPROVED, True),
        ("azurecr.io", APPROVED, False),  # the wildcard needs a label before the suffix
        ("contoso.azurecr.io.evil.example", APPROVED, False),
        ("contosoazurecr.io", APPROVED, False),
        ("contoso.azurecr.io:443", APPROVED, False),  # the port is significant
        ("contoso.azurecr.cn", APPROVED, False),
        ("mcr.microsoft.com", APPROVED, True),
        ("MCR.Microsoft.com", APPROVED, True),
        ("evil-mcr.microsoft.com", APPROVED, False),
        ("registry.example.com:5000", APPROVED, True),
        ("registry.example.com", APPROVED, False),
        ("registry.example.com:5001", APPROVED, False),
        ("docker.io", APPROVED, False),
        ("docker.io", ("index.docker.io",), True),  # Docker Hub's names are one registry
        ("docker.io", ("Docker.IO",), True),
        ("contoso.azurecr.io", ("*.AZURECR.IO",), True),
        ("contoso.azurecr.io", (), False),
        ("", APPROVED, False),
        ("anything.example", ("*.",), False),
    ],
)
def test_registry_matches(registry: str, approved: tuple[str, ...], matches: bool) -> None:
    assert registry_matches(registry, approved) is matches


def test_default_approved_registries_are_the_audited_login_servers_and_mcr() -> None:
    approved = default_approved_registries(["ContosoProdAcr.azurecr.io", "contosodevacr.azurecr.io", " ", ""])
    assert approved == ("contosodevacr.azurecr.io", "contosoprodacr.azurecr.io", "mcr.microsoft.com")
    assert registry_matches(parse_image_reference("contosoprodacr.azurecr.io/app:1").registry, approved)
    assert registry_matches(parse_image_reference("mcr.microsoft.com/dotnet/runtime:8.0").registry, approved)
    # anyone can create a registry under azurecr.io: no wildcard by default
    assert not registry_matches(parse_image_reference("attacker.azurecr.io/app:1").registry, approved)
    assert not registry_matches(parse_image_reference("nginx:1.27").registry, approved)
    assert default_approved_registries([]) == ("mcr.microsoft.com",)


def test_image_reference_is_frozen() -> None:
    parsed = parse_image_reference("nginx:1.27")
    with pytest.raises(AttributeError):
        parsed.tag = "latest"  # type: ignore[misc]
