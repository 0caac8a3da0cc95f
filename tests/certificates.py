"""Throw-away TLS material for the tests, made with the `openssl` command line: a CA of the
test's own and a certificate it signs for 127.0.0.1 and localhost."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path
    # The server's key and certificate chain in one PEM file (what Kafka's PEM keystore reads).
    keystore_pem: Path


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None, "the tests make their certificates with the openssl command"
    subprocess.run([openssl, *args], cwd=cwd, check=True, capture_output=True)  # noqa: S603


def _new_ca(folder: Path, name: str) -> tuple[Path, Path]:
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.name, "-out", cert.name, "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return cert, key


def make_certificates(folder: Path) -> Certificates:
    """A CA and a server certificate it signed (EC P-256, valid for two days) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _new_ca(folder, "test-ca")
    (folder / "server.ext").write_text(SERVER_EXTENSIONS)
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", ca.name, "-CAkey", ca_key.name,
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        cwd=folder,
    )  # fmt: skip
    # PKCS#8, the private key form Kafka's PEM keystore reads.
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", "server.key", "-out", "server.p8", cwd=folder)
    keystore = folder / "server-keystore.pem"
    keystore.write_text(
        (folder / "server.p8").read_text() + (folder / "server.pem").read_text() + ca.read_text()
    )
    return Certificates(ca, folder / "server.pem", folder / "server.key", keystore)


def make_other_ca(folder: Path) -> Path:
    """A CA that signed nothing the tests serve: trusting only it must fail."""
    folder.mkdir(parents=True, exist_ok=True)
    return _new_ca(folder, "other-ca")[0]
