"""The one TLS context of a live run: which certificate authorities azaudit trusts, loaded once.

Left to themselves, requests and urllib3 build a new ``SSLContext`` for every new connection and
load a CA bundle into it: about 100 ms of CPU per connection on a small CI agent, and an audit
opens one connection per vault (each vault is its own host). azaudit builds one context per
process instead (:func:`run_tls_context`) and every connection of the run wraps its socket with it:
every host's pool, and the forked collection processes, which inherit it.

What the context trusts, the first that applies:

1. ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE`` (a PEM file, or a directory of hashed
   certificates), and nothing else, as requests itself does: the usual way to add a corporate
   TLS-inspecting proxy's CA, appended to public roots.
2. ``SSL_CERT_FILE`` and/or ``SSL_CERT_DIR``, OpenSSL's own variables.
3. The operating system's trust store, so a CA the organisation installed on the machine works
   without any variable: on Windows and macOS through ``truststore`` (the platform's verifier, as
   pip does); elsewhere the distribution's bundle that OpenSSL (and truststore) read, loaded once
   here (truststore reloads it for every connection on Linux).
4. certifi's bundle (requests' default) where no system store exists (a minimal container image).

A variable naming something unreadable, or holding no certificate, is one clear line (exit 2):
never a silent fall back to other roots.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from pathlib import Path

from azaudit.errors import AzauditError

BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
OPENSSL_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")
# Where Linux distributions keep their bundle (the list truststore searches too).
SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora, RHEL
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/cert.pem",  # Alpine, Arch, BSD
    "/etc/ssl/ca-bundle.pem",  # SUSE
)


class TrustError(AzauditError):
    """The certificate authorities a variable names cannot be loaded."""


_lock = threading.Lock()
_contexts: dict[tuple[str | None, ...], ssl.SSLContext] = {}


def run_tls_context() -> ssl.SSLContext:
    """The context every connection of this process shares (built on first use; built again
    only if the trust variables changed, as between two audits in one test process)."""
    settings = {name: os.environ.get(name) or None for name in (*BUNDLE_VARIABLES, *OPENSSL_VARIABLES)}
    key = tuple(settings.values())
    with _lock:
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = build_tls_context(settings)
        return context


def _client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # Azure's endpoints require TLS 1.2 or later
    context.options |= ssl.OP_NO_COMPRESSION
    return context


def _load(context: ssl.SSLContext, variable: str, location: str) -> None:
    path = Path(location)
    try:
        if path.is_dir():
            if not any(child.is_file() for child in path.iterdir()):
                raise TrustError(f"{variable} names {location}, a folder with no certificate in it")
            context.load_verify_locations(capath=str(path))
        else:
            context.load_verify_locations(cafile=str(path))
    except TrustError:
        raise
    except FileNotFoundError:
        raise TrustError(f"{variable} names {location}, which does not exist") from None
    except (OSError, ssl.SSLError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "no PEM certificate could be read"
        raise TrustError(f"{variable} names {location}, which cannot be loaded as CA certificates ({reason})") from None


def build_tls_context(settings: dict[str, str | None]) -> ssl.SSLContext:
    """A new context trusting what ``settings`` (the trust variables' values) say; see the module
    docstring for the order."""
    for variable in BUNDLE_VARIABLES:
        location = settings.get(variable)
        if location:
            context = _client_context()
            _load(context, variable, location)
            return context
    openssl = {name: settings.get(name) for name in OPENSSL_VARIABLES if settings.get(name)}
    if openssl:
        context = _client_context()
        for variable, location in openssl.items():
            assert location is not None
            _load(context, variable, location)
        return context
    if sys.platform in ("win32", "darwin"):
        import truststore

        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context
    context = _client_context()
    defaults = ssl.get_default_verify_paths()
    if defaults.cafile:
        context.load_verify_locations(cafile=defaults.cafile)
        return context
    for bundle in SYSTEM_BUNDLES:
        if os.path.isfile(bundle):
            context.load_verify_locations(cafile=bundle)
            return context
    if defaults.capath and any(Path(defaults.capath).glob("*.0")):
        context.load_verify_locations(capath=defaults.capath)
        return context
    import certifi

    context.load_verify_locations(cafile=certifi.where())
    return context


# OpenSSL's verification results a TLS-inspecting proxy (or a wrong bundle) produces, in words
# that quote nothing from the server (a host-name mismatch would quote the URL's host).
_VERIFY_REASONS = {
    10: "its certificate has expired",
    18: "its certificate is self-signed",
    19: "a self-signed certificate is in its chain",
    20: "its certificate's issuer is not a trusted CA",
    21: "its certificate's issuer is not a trusted CA",
    62: "its certificate is for another host name",
}


def untrusted_certificate(exc: BaseException) -> str | None:
    """One line for a failure caused by a server certificate the run's context does not trust
    (what it was, and where the missing CA goes), or None for any other failure."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(seen) < 12:
        current = pending.pop()
        if current in seen:
            continue
        seen.append(current)
        if isinstance(current, ssl.SSLCertVerificationError):
            reason = _VERIFY_REASONS.get(current.verify_code or 0, "its certificate could not be verified")
            return (
                f"the server's TLS certificate is not trusted: {reason}; if a proxy inspects TLS, give its CA "
                "in REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) or install it in the system trust store"
            )
        # azure-core's inner_exception, a requests/urllib3 error's first argument or reason, and
        # Python's own chaining.
        for linked in (
            getattr(current, "inner_exception", None),
            getattr(current, "reason", None),
            current.args[0] if current.args else None,
            current.__cause__,
            current.__context__,
        ):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return None
