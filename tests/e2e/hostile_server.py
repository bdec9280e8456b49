"""A small hostile HTTPS server for the end-to-end tests: it answers the CLI the way a broken or
malicious portal would (endless or oversized bodies, huge headers, one byte every few seconds, a
TLS stream cut without close_notify) and records the raw bytes of every request it received.

Certificates come from a throw-away CA made with `openssl` in a directory the test owns
(make_pki). Nothing here is product code; only tests import it.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pki:
    ca: Path    # the CA certificate the client is told to trust (--ca-file)
    cert: Path  # the server certificate (signed by ca)
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"openssl {' '.join(args)} failed:\n{p.stderr}"


def make_ca(directory: Path, name: str = "ca") -> tuple[Path, Path]:
    """A self-signed EC CA: (cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN=hostile test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=directory)
    return cert, key


def issue(directory: Path, ca: tuple[Path, Path], name: str, sans: list[str], rsa: bool = False,
          client: bool = False) -> tuple[Path, Path]:
    """A leaf certificate signed by `ca` for the given names (DNS names or IP addresses)."""
    cert, key, csr, ext = (directory / f"{name}.pem", directory / f"{name}.key", directory / f"{name}.csr",
                           directory / f"{name}.ext")
    alt = ",".join(("IP:" if _is_ip(s) else "DNS:") + s for s in sans)
    usage = "clientAuth" if client else "serverAuth"
    ext.write_text(f"subjectAltName={alt}\nextendedKeyUsage={usage}\nbasicConstraints=CA:FALSE\n" if alt
                   else f"extendedKeyUsage={usage}\nbasicConstraints=CA:FALSE\n")
    newkey = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    _openssl("req", *newkey, "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}",
             cwd=directory)
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
             "-out", str(cert), "-days", "2", "-extfile", str(ext), cwd=directory)
    return cert, key


def _is_ip(s: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in s else socket.AF_INET, s)
        return True
    except OSError:
        return False


def make_pki(directory: Path, names=("localhost", "127.0.0.1"), rsa: bool = False) -> Pki:
    ca = make_ca(directory)
    cert, key = issue(directory, ca, "server", list(names), rsa=rsa)
    return Pki(ca[0], cert, key)


# ---- the server ------------------------------------------------------------------------------

MODES = ("ok", "one-answer", "endless", "huge-length", "huge-headers", "slowloris", "truncate", "silent")


class HostileServer:
    """Serves HTTPS on 127.0.0.1:<free port>; every connection is answered per `mode`:

    ok            200 with a small JSON body (for tests that only look at what was received)
    one-answer    as ok, then closes the connection it just kept alive (close_notify, FIN)
    endless       200, chunked, chunks forever until the client goes away
    huge-length   200 with Content-Length 10 GB, then body bytes until the client goes away
    huge-headers  200 with one header line that never ends (1 MB at a time)
    slowloris     the status line one byte every `drip` seconds, forever
    truncate      Content-Length 1000, 100 bytes of body, then TCP close without close_notify
    silent        reads the request and never answers
    """

    def __init__(self, pki: Pki, mode: str = "ok", drip: float = 1.0):
        assert mode in MODES, mode
        self.mode = mode
        self.drip = drip
        self.requests: list[bytes] = []  # the raw head (and body) of every request received
        self.connections = 0
        self.sent = 0  # bytes of response written, over all connections
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ctx.load_cert_chain(str(pki.cert), str(pki.key))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def url_for(self, host: str) -> str:
        return f"https://{host}:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._accept.join(timeout=5)
        self._sock.close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def received(self) -> bytes:
        with self._lock:
            return b"".join(self.requests)

    # -- internals
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.connections += 1
            t = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            self._threads.append(t)
            t.start()

    def _send(self, conn, data: bytes) -> None:
        conn.sendall(data)
        with self._lock:
            self.sent += len(data)

    def _read_request(self, conn) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data or None
            data += chunk
            if len(data) > 1 << 20:
                break
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                try:
                    length = int(v.strip())
                except ValueError:
                    pass
        while len(body) < min(length, 1 << 20):
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(30)
        try:
            conn = self._ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        try:
            while not self._stop.is_set():
                req = self._read_request(conn)
                if req is None:
                    return
                with self._lock:
                    self.requests.append(req)
                if not self._answer(conn):
                    return
        except (ssl.SSLError, OSError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _answer(self, conn) -> bool:
        """Answers one request; False when the connection is done."""
        mode = self.mode
        if mode in ("ok", "one-answer"):
            body = b'{"status":"ok"}'
            self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\n\r\n" + body)
            return mode == "ok"
        if mode == "endless":
            self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % 65536 + b"[" * 65536 + b"\r\n"
            while not self._stop.is_set():
                self._send(conn, chunk)
            return False
        if mode == "huge-length":
            self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 10737418240\r\n\r\n")
            block = b" " * 65536
            while not self._stop.is_set():
                self._send(conn, block)
            return False
        if mode == "huge-headers":
            self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Filler: ")
            block = b"a" * (1 << 20)
            while not self._stop.is_set():
                self._send(conn, block)
            return False
        if mode == "slowloris":
            for b in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 100000:
                if self._stop.wait(self.drip):
                    break
                self._send(conn, bytes([b]))
            return False
        if mode == "truncate":
            self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                       + b'{"status":"' + b"x" * 89)
            # Cut the TCP stream under TLS: no close_notify ever goes out.
            fd = conn.fileno()
            s = socket.socket(fileno=fd)
            try:
                s.shutdown(socket.SHUT_RDWR)
            finally:
                s.detach()
            return False
        if mode == "silent":
            self._stop.wait(120)
            return False
        return False


def wait_until(predicate, timeout: float = 10.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
