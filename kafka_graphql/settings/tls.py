"""TLS contexts: the gateway's own HTTPS/WSS endpoint, and its connections to Kafka.

Both start from Python's defaults for the purpose (`ssl.create_default_context`): TLS 1.2 or newer,
no weak ciphers, and, as a client, the server's certificate and host name checked.
"""

from __future__ import annotations

import ssl
from pathlib import Path


class TLSFileError(ValueError):
    """A certificate or key file that can't be used; the message names its key."""


def _readable(files: dict[str, str | None]) -> None:
    for key, path in files.items():
        if path and not Path(path).is_file():
            raise TLSFileError(f"{key}: no such file {path}")


def _reason(error: ssl.SSLError | OSError) -> str:
    if isinstance(error, ssl.SSLError):
        return error.reason or error.strerror or str(error)
    return error.strerror or str(error)


def server_ssl_context(
    cert_file: str | None, key_file: str | None, section: str = "server"
) -> ssl.SSLContext | None:
    """The context to serve HTTPS with, or None when neither file is set."""
    if not cert_file or not key_file:
        return None
    keys = f"{section}.tls_cert_file and {section}.tls_key_file"
    _readable({f"{section}.tls_cert_file": cert_file, f"{section}.tls_key_file": key_file})
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as error:
        raise TLSFileError(
            f"{keys} are not a PEM certificate chain and its private key ({_reason(error)})"
        ) from None
    return context


def client_ssl_context(
    cafile: str | None,
    certfile: str | None,
    keyfile: str | None,
    check_hostname: bool = True,
    section: str = "kafka",
) -> ssl.SSLContext:
    """The context to connect to TLS servers with: trusting `cafile` (else the system's CAs),
    presenting `certfile`/`keyfile` when set."""
    _readable(
        {
            f"{section}.ssl_cafile": cafile,
            f"{section}.ssl_certfile": certfile,
            f"{section}.ssl_keyfile": keyfile,
        }
    )
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (ssl.SSLError, OSError) as error:
        raise TLSFileError(
            f"{section}.ssl_cafile holds no PEM certificate ({_reason(error)})"
        ) from None
    context.check_hostname = check_hostname
    if certfile:
        try:
            context.load_cert_chain(certfile, keyfile)
        except (ssl.SSLError, OSError) as error:
            raise TLSFileError(
                f"{section}.ssl_certfile and {section}.ssl_keyfile are not a PEM certificate "
                f"chain and its private key ({_reason(error)})"
            ) from None
    return context
