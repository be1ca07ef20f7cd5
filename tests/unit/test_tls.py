"""TLS: the server's context serves, a client's verifies (CA file, host name), on loopback."""

import datetime
import importlib.util
import ipaddress
import shutil
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from app.server.auth import TLSConfigError, client_context, server_context


def _by_cryptography(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 and its key, with cryptography."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


def _by_openssl(folder: Path, name: str) -> tuple[Path, Path]:
    """The same with the openssl command line."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


MAKERS = {}
if importlib.util.find_spec("cryptography") is not None:
    MAKERS["cryptography"] = _by_cryptography
if shutil.which("openssl"):
    MAKERS["openssl"] = _by_openssl
if not MAKERS:
    pytest.skip("neither cryptography nor openssl to make a certificate", allow_module_level=True)
_self_signed = next(iter(MAKERS.values()))


@pytest.fixture(params=list(MAKERS))
def farm_cert(request, tmp_path):
    return MAKERS[request.param](tmp_path, "farm")


@pytest.fixture
async def https_server(farm_cert):
    """A real aiohttp server on loopback serving one route over TLS; yields its port."""

    async def health(_request):
        return web.json_response({"ok": True})

    application = web.Application()
    application.router.add_get("/api/v1/health", health)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context(*farm_cert))
    await site.start()
    yield runner.addresses[0][1]
    await runner.cleanup()


async def _health(url: str, context: ssl.SSLContext, server_hostname: str | None = None) -> dict:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, ssl=context, server_hostname=server_hostname) as response,
    ):
        return await response.json()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_round_trip_with_the_farm_ca(https_server, farm_cert, host):
    url = f"https://{host}:{https_server}/api/v1/health"
    assert await _health(url, client_context(farm_cert[0])) == {"ok": True}


async def test_an_unknown_certificate_is_refused(https_server, tmp_path):
    url = f"https://127.0.0.1:{https_server}/api/v1/health"
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await _health(url, client_context())  # the system's authorities do not know it
    other_ca, _ = _self_signed(tmp_path, "other")
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await _health(url, client_context(other_ca))


async def test_a_name_the_certificate_does_not_hold_is_refused(https_server, farm_cert):
    url = f"https://127.0.0.1:{https_server}/api/v1/health"
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await _health(url, client_context(farm_cert[0]), server_hostname="farm.example")


def test_client_context_verifies_and_needs_tls12():
    context = client_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_server_context_needs_tls12(farm_cert):
    assert server_context(*farm_cert).minimum_version == ssl.TLSVersion.TLSv1_2


def test_unusable_files_are_named(tmp_path, farm_cert):
    cert, key = farm_cert
    with pytest.raises(TLSConfigError, match="nothing.crt"):
        server_context(tmp_path / "nothing.crt", key)
    with pytest.raises(TLSConfigError, match="nothing.key"):
        server_context(cert, tmp_path / "nothing.key")
    _, other_key = _self_signed(tmp_path, "other")
    with pytest.raises(TLSConfigError, match="other.key"):
        server_context(cert, other_key)  # a key that is not the certificate's
    with pytest.raises(TLSConfigError, match="nothing.pem"):
        client_context(tmp_path / "nothing.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(TLSConfigError, match="garbage.pem"):
        client_context(garbage)
