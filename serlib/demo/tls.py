"""https for the class page: this machine's names and addresses, a self-signed certificate.

Browsers give a page the microphone only over https (or on ``localhost``). A classroom
has no domain name and no certificate authority, so ``serlib demo --https`` makes its
own certificate the first time: self-signed, valid for this machine's host name(s), its
LAN addresses, ``localhost`` and ``127.0.0.1``, kept in the user's config folder
(``~/.config/serlib/tls`` on Linux) and reused while it still covers the machine's
names and addresses and has more than a week to run. A browser warns once about a
certificate no authority signed; the student accepts it (Advanced → Proceed), and the
page gets the microphone. A teacher with a real certificate gives ``--certfile`` and
``--keyfile`` instead.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import socket
from pathlib import Path

from serlib.errors import SerlibError

#: Days a new certificate is valid.
VALID_DAYS = 825
#: What the page and the terminal say about the browser's warning.
WARNING_ADVICE = ("The browser warns once that the certificate is not signed by an authority "
                  "(serlib made it on this computer): click Advanced, then Proceed / Accept "
                  "the risk, and the page opens with the microphone.")


def tls_dir() -> Path:
    """Where serlib keeps its certificate: the user's config folder, ``tls/``."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("serlib")) / "tls"


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, the route's first (the one
    other machines in the room most likely reach). Empty when there is no network."""
    found: list[str] = []
    try:  # the address of the default route: connect() on UDP sends nothing
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    out = []
    for address in found:
        if not ipaddress.ip_address(address).is_loopback and address not in out:
            out.append(address)
    return out


def machine_names() -> list[str]:
    """The names and addresses the certificate must cover: host name (and ``.local``),
    fully qualified name, LAN addresses, ``localhost``, ``127.0.0.1``."""
    host = socket.gethostname()
    names = [host, f"{host}.local", socket.getfqdn(), "localhost", *lan_addresses(), "127.0.0.1"]
    out = []
    for name in names:
        if name and name not in out:
            out.append(name)
    return out


def _alt_names(names):
    from cryptography import x509

    entries = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


def _covers(cert_path: Path, names, *, margin_days: int = 7) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    have = {str(v) for v in sans.get_values_for_type(x509.DNSName)}
    have |= {str(v) for v in sans.get_values_for_type(x509.IPAddress)}
    left = cert.not_valid_after_utc - _dt.datetime.now(_dt.timezone.utc)
    return set(names) <= have and left > _dt.timedelta(days=margin_days)


def make_certificate(cert_path: Path, key_path: Path, names) -> None:
    """Write a self-signed certificate for ``names`` (host names and IP addresses) and
    its private key (readable by the owner only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"serlib demo on {names[0]}"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "serlib (self-signed)")])
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(hours=1))
            .not_valid_after(now + _dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(_alt_names(names)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption())
    key_path.touch(mode=0o600, exist_ok=True)
    key_path.chmod(0o600)
    key_path.write_bytes(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def certificate(folder: str | Path | None = None, names=None) -> tuple[Path, Path, bool]:
    """``(certfile, keyfile, made)``: serlib's certificate for this machine, made now
    (``made=True``) when there is none, when it no longer covers ``names`` (default
    :func:`machine_names`: the machine moved to another network) or when it runs out
    within a week; reused otherwise.

    Notebook: 10_live_demo.ipynb
    """
    try:
        import cryptography  # noqa: F401
    except ImportError as exc:
        raise SerlibError(f"serlib demo --https needs the package cryptography ({exc}): "
                          "pip install -r requirements.txt, or give --certfile and --keyfile") from None
    folder = Path(folder) if folder is not None else tls_dir()
    names = list(names) if names is not None else machine_names()
    cert, key = folder / "serlib-demo.crt", folder / "serlib-demo.key"
    if key.is_file() and _covers(cert, names):
        return cert, key, False
    make_certificate(cert, key, names)
    return cert, key, True


def qr_text(url: str) -> str:
    """A QR code of ``url`` for the terminal (two rows of modules per line)."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def qr_svg(url: str, scale: int = 6) -> bytes:
    """A QR code of ``url`` as an SVG image (the class page and the board show it)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=2, dark="#111",
                                    xmldecl=False)
    return out.getvalue()
