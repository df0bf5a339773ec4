#!/usr/bin/env python3
"""Helpers for scripts/test-cluster (stdlib only; everything on loopback).

  free-ports N                      print N distinct free TCP ports on 127.0.0.1
  serve --dns-port P --blackhole-port Q [--dns53 ADDR] [--token-port T --token-config F]
        DNS server on 127.0.0.1:P/udp (and ADDR:53/udp, a loopback address, for
        resolv.conf, which cannot name a port): `localhost` and `*.localhost` -> 127.0.0.1,
        every other name -> NXDOMAIN (so lookups of `*.invalid` are real DNS
        round trips that never leave loopback).
        Blackhole on 127.0.0.1:Q/tcp: a listener whose accept queue is kept full
        and never accepted, so new SYNs are dropped and clients see a connect
        timeout (`dial tcp ...: i/o timeout`), like a firewalled registry.
        Token server on https://127.0.0.1:T/token (Docker distribution's token
        auth): Basic credentials (or none: anonymous) -> a JWT (RS256, signed with
        `openssl dgst`, the signing certificate in `x5c`) whose `access` claim
        grants each user only the repositories of its grants (the JSON file F:
        users, passwords, grants, TLS and signing key paths).
        Sidecar injector on https://127.0.0.1:W/inject (--webhook-port W
        --webhook-cert C --webhook-key K --inject-image I): a mutating
        admission webhook, as Istio's, that adds a container `istio-proxy`
        (image I) and the annotation `sidecar.istio.io/status` to the pods
        sent to it (the harness sends those labelled pulltui.dev/inject=true).
        Stalling registry on https://127.0.0.1:S (--stall-port S --stall-cert C
        --stall-key K): any repository/tag resolves to a real tiny image, its
        config blob is served, and its layer blob sends its headers and a few
        bytes, then nothing more (a pull that makes no progress).
        Forward proxies (--proxy-port P --proxy-auth-port A --proxy-deny-port D
        --proxy-log F --proxy-user U --proxy-password W --proxy-deny H,...) on
        127.0.0.1: `CONNECT host:port` (a tunnel) and absolute-form requests
        (`GET http://host:port/...`), `localhost`/`*.localhost` reaching
        127.0.0.1; P is open, A answers 407 unless Proxy-Authorization is
        Basic U:W, D answers 403 for the hosts H. Each request's line is
        appended to F as JSON (proxy, method, target, status, whether
        Proxy-Authorization came; never its value).
  push --registry URL --repo R --tag T [--user U --password P] [--cafile F | --insecure]
       [--arch A] [--index-only ARCH,...]
        push a tiny real image (config blob, gzip layer blob, schema2 manifest)
        through the registry HTTP API (Basic auth, or the Bearer token flow);
        with --index-only, an OCI image index whose only entries are those
        architectures (each a real manifest), so a node of another platform
        finds no image in it.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import ssl
import struct
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_ports(n):
    socks, ports = [], []
    while len(ports) < n:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        socks.append(s)
        if p not in ports:
            ports.append(p)
    for s in socks:
        s.close()
    print(" ".join(str(p) for p in ports))


# ------------------------------------------------------------------- DNS ----

def parse_qname(data, off):
    labels = []
    while True:
        ln = data[off]
        if ln == 0:
            off += 1
            break
        if ln & 0xC0:
            raise ValueError("compression in question")
        labels.append(data[off + 1:off + 1 + ln].decode("ascii", "replace"))
        off += 1 + ln
    return ".".join(labels), off


def dns_answer(data):
    if len(data) < 12:
        return None
    qid, flags, qd, _, _, _ = struct.unpack(">HHHHHH", data[:12])
    if qd != 1:
        return None
    name, off = parse_qname(data, 12)
    qtype, qclass = struct.unpack(">HH", data[off:off + 4])
    question = data[12:off + 4]
    lname = name.lower().rstrip(".")
    local = lname == "localhost" or lname.endswith(".localhost")
    rd = flags & 0x0100
    answers = b""
    if local:
        rcode = 0
        if qtype == 1:  # A
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
        elif qtype == 28:  # AAAA
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 28, 1, 60, 16) + socket.inet_pton(socket.AF_INET6, "::1")
    else:
        rcode = 3  # NXDOMAIN
    an = 1 if answers else 0
    hdr = struct.pack(">HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1, an, 0, 0)
    return hdr + question + answers


def serve_dns(port, addr="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, addr = s.recvfrom(4096)
        try:
            resp = dns_answer(data)
        except Exception:  # malformed query: ignore it
            resp = None
        if resp:
            s.sendto(resp, addr)


def serve_blackhole(port):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(0)
    # Fill the accept queue with our own connections and never accept: the
    # kernel then drops further SYNs, so clients time out in connect().
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(c)
        time.sleep(0.05)
    while True:
        time.sleep(3600)


def cmd_serve(args):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Thread(target=serve_dns, args=(args.dns_port,), daemon=True).start()
    if args.dns53:
        if not args.dns53.startswith("127."):
            sys.exit("--dns53 must be a loopback address")
        threading.Thread(target=serve_dns, args=(53, args.dns53), daemon=True).start()
    if args.token_port:
        threading.Thread(target=serve_token, args=(args.token_port, args.token_config),
                         daemon=True).start()
    if args.webhook_port:
        threading.Thread(target=serve_webhook,
                         args=(args.webhook_port, args.webhook_cert, args.webhook_key,
                               args.inject_image), daemon=True).start()
    if args.stall_port:
        threading.Thread(target=serve_stall,
                         args=(args.stall_port, args.stall_cert, args.stall_key),
                         daemon=True).start()
    if args.blobhost_port:
        threading.Thread(target=serve_blobhost,
                         args=(args.blobhost_port, args.blobhost_cert, args.blobhost_key,
                               args.blobhost_log), daemon=True).start()
        base = f"https://127.0.0.1:{args.blobhost_port}"
        dead = f"https://127.0.0.1:{args.blackhole_port}"
        fronts = [(args.blobfront_port, base, False),
                  (args.blobdead_port, dead, False),
                  (args.head405_port, None, True)]
        if args.blobsplit_port:
            # Layers on a name only an internal resolver knows (split DNS).
            fronts.append((args.blobsplit_port, "https://blobs.nx.invalid:443", False))
        for port, redirect, head405 in fronts:
            threading.Thread(target=serve_blobfront,
                             args=(port, args.stall_cert, args.stall_key, args.blob_password,
                                   redirect, head405), daemon=True).start()
    if args.proxy_port:
        deny = [h for h in (args.proxy_deny or "").split(",") if h]
        for port, name, user, deny_hosts in (
                (args.proxy_port, "open", None, []),
                (args.proxy_auth_port, "auth", args.proxy_user, []),
                (args.proxy_deny_port, "deny", None, deny)):
            threading.Thread(target=serve_proxy,
                             args=(port, name, args.proxy_log, user, args.proxy_password,
                                   deny_hosts), daemon=True).start()
    serve_blackhole(args.blackhole_port)


def tls_server(port, handler, cert, key):
    srv = ThreadingHTTPServer(("127.0.0.1", port), handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv


# --------------------------------------------------------------- webhook ----

INJECT_ANNOTATION = "sidecar.istio.io/status"


def inject_patch(pod, image):
    """JSONPatch ops that add the sidecar and its status annotation."""
    ops = [{"op": "add", "path": "/spec/containers/-",
            "value": {"name": "istio-proxy", "image": image,
                      "imagePullPolicy": "IfNotPresent",
                      "args": ["proxy", "sidecar"]}}]
    status = json.dumps({"containers": ["istio-proxy"], "revision": "default"})
    if pod.get("metadata", {}).get("annotations"):
        key = INJECT_ANNOTATION.replace("~", "~0").replace("/", "~1")
        ops.append({"op": "add", "path": "/metadata/annotations/" + key, "value": status})
    else:
        ops.append({"op": "add", "path": "/metadata/annotations",
                    "value": {INJECT_ANNOTATION: status}})
    return ops


def serve_webhook(port, cert, key, image):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            review = json.loads(self.rfile.read(n) or b"{}")
            req = review.get("request", {})
            pod = req.get("object") or {}
            names = [c.get("name") for c in pod.get("spec", {}).get("containers", [])]
            resp = {"uid": req.get("uid", ""), "allowed": True}
            if "istio-proxy" not in names:
                patch = json.dumps(inject_patch(pod, image)).encode()
                resp["patchType"] = "JSONPatch"
                resp["patch"] = base64.b64encode(patch).decode()
            body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                               "response": resp}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    tls_server(port, Handler, cert, key).serve_forever()


# ----------------------------------------------------------------- stall ----

def serve_stall(port, cert, key):
    config, layer, manifest = make_image("stall/app", "1.0")
    digests = {sha(config): config, sha(layer): layer}
    mdigest = sha(manifest)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, code, body=b"", ctype="application/json", extra=None, send=True):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if send:
                self.wfile.write(body)

        def route(self, send):
            path = urllib.parse.urlparse(self.path).path
            if path in ("/v2", "/v2/"):
                return self.answer(200, b"{}", send=send)
            if "/manifests/" in path:
                return self.answer(200, manifest,
                                   "application/vnd.docker.distribution.manifest.v2+json",
                                   {"Docker-Content-Digest": mdigest}, send)
            if "/blobs/" in path:
                d = path.rsplit("/", 1)[-1]
                blob = digests.get(d)
                if blob is None:
                    return self.answer(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}', send=send)
                if blob is config or not send:
                    return self.answer(200, blob, "application/octet-stream", send=send)
                # The layer: headers and a few bytes, then no progress.
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob[:8])
                self.wfile.flush()
                for _ in range(600):
                    time.sleep(1)
                return None
            return self.answer(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}', send=send)

        def do_GET(self):
            try:
                self.route(True)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_HEAD(self):
            self.route(False)

    tls_server(port, Handler, cert, key).serve_forever()


# ------------------------------------------------------------ blob legs ----
# Registry fronts whose blobs come from another host, as ECR's come from
# S3 or ACR's from a data endpoint: a 307 to the blob host (its own port and
# certificate), or to the blackhole (that host times out); and one whose
# HEAD of a manifest answers 405, as some proxies do. The fronts want Basic
# credentials, so the probe sends them; the blob host logs the headers of
# every request it receives (one JSON object a line), so a test asserts
# that no Authorization ever reached it.

BLOB_USER = "pulltui"


def blob_image():
    config, layer, manifest = make_image("legs/app", "1.0")
    return {sha(config): config, sha(layer): layer}, manifest


def serve_blobfront(port, cert, key, password, redirect_base, head405):
    blobs, manifest = blob_image()
    mdigest = sha(manifest)
    want = "Basic " + base64.b64encode(f"{BLOB_USER}:{password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, code, body=b"", ctype="application/json", extra=None, send=True):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if send:
                self.wfile.write(body)

        def route(self, send):
            path = urllib.parse.urlparse(self.path).path
            if self.headers.get("Authorization") != want:
                return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                   extra={"WWW-Authenticate": 'Basic realm="legs"'}, send=send)
            if path in ("/v2", "/v2/"):
                return self.answer(200, b"{}", send=send)
            if path.startswith("/v2/legs/app/manifests/"):
                if head405 and not send:
                    return self.answer(405, b"", send=False)
                return self.answer(200, manifest,
                                   "application/vnd.docker.distribution.manifest.v2+json",
                                   {"Docker-Content-Digest": mdigest}, send)
            if path.startswith("/v2/legs/app/blobs/"):
                d = path.rsplit("/", 1)[-1]
                if d not in blobs:
                    return self.answer(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}', send=send)
                if redirect_base is None:
                    return self.answer(200, blobs[d], "application/octet-stream", send=send)
                # A presigned-looking URL on the blob host.
                to = f"{redirect_base}/layers/{d}?X-Signature=harness"
                return self.answer(307, b"", extra={"Location": to}, send=send)
            return self.answer(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}', send=send)

        def do_GET(self):
            try:
                self.route(True)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_HEAD(self):
            self.route(False)

    tls_server(port, Handler, cert, key).serve_forever()


def serve_blobhost(port, cert, key, log_path):
    blobs, _ = blob_image()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            with lock, open(log_path, "a") as f:
                f.write(json.dumps({"path": self.path,
                                    "headers": {k: v for k, v in self.headers.items()}}) + "\n")
            d = urllib.parse.urlparse(self.path).path.rsplit("/", 1)[-1]
            body = blobs.get(d)
            code = 200 if body is not None else 404
            body = body or b"<Error><Code>NoSuchKey</Code></Error>"
            self.send_response(code)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    tls_server(port, Handler, cert, key).serve_forever()


# ----------------------------------------------------------------- proxy ----

def proxy_resolve(host):
    h = host.strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return "127.0.0.1"
    return h


def pipe(a, b):
    """Copies both ways until either side closes."""
    import select
    socks = [a, b]
    try:
        while True:
            ready, _, _ = select.select(socks, [], [], 30)
            if not ready:
                return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return


def serve_proxy(port, name, log_path, user, password, deny):
    import socketserver
    lock = threading.Lock()
    expected = None
    if user is not None:
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def log(entry):
        with lock, open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    class Handler(socketserver.StreamRequestHandler):
        # Unbuffered: the bytes after the header stay in the socket for pipe().
        rbufsize = 0

        def handle(self):
            line = self.rfile.readline(8192).decode("latin-1").strip()
            head = []
            while True:
                h = self.rfile.readline(8192)
                if h in (b"\r\n", b"\n", b""):
                    break
                head.append(h)
            headers = {}
            for h in head:
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            parts = line.split()
            if len(parts) < 3:
                return
            method, target = parts[0], parts[1]
            authz = headers.get("proxy-authorization")
            entry = {"proxy": name, "method": method, "target": target,
                     "proxy_authorization": authz is not None}

            def answer(status, reason, extra=""):
                entry["status"] = status
                log(entry)
                self.wfile.write(f"HTTP/1.1 {status} {reason}\r\n{extra}"
                                 "Content-Length: 0\r\n\r\n".encode())

            if expected is not None and authz != expected:
                return answer(407, "Proxy Authentication Required",
                              'Proxy-Authenticate: Basic realm="pulltui-harness"\r\n')
            if method == "CONNECT":
                host, _, p = target.rpartition(":")
            elif target.startswith("http://"):
                u = urllib.parse.urlsplit(target)
                host, p = u.hostname or "", str(u.port or 80)
            else:
                return answer(400, "Bad Request")
            if host.strip("[]").lower() in deny:
                return answer(403, "Forbidden")
            try:
                upstream = socket.create_connection((proxy_resolve(host), int(p)), timeout=5)
            except (OSError, ValueError):
                return answer(502, "Bad Gateway")
            with upstream:
                if method == "CONNECT":
                    answer(200, "Connection established")
                else:
                    entry["status"] = 0
                    log(entry)
                    kept = [h for h in head
                            if not h.lower().startswith((b"proxy-authorization", b"proxy-connection"))]
                    upstream.sendall(line.encode("latin-1") + b"\r\n" + b"".join(kept) + b"\r\n")
                upstream.settimeout(None)
                pipe(self.connection, upstream)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    Server(("127.0.0.1", port), Handler).serve_forever()


# ----------------------------------------------------------------- token ----

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign_jwt(claims, key_path, cert_der):
    header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(cert_der).decode()]}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


def granted(grants, name, wanted):
    """Actions of `wanted` that a grant list (["team/*:pull,push", ...]) allows on `name`."""
    out = []
    for g in grants:
        pattern, _, actions = g.partition(":")
        allowed = actions.split(",")
        match = pattern == "*" or pattern == name or (
            pattern.endswith("/*") and name.startswith(pattern[:-1]))
        if match:
            out += [a for a in wanted if (a in allowed or "*" in allowed) and a not in out]
    return out


def serve_token(port, config_path):
    with open(config_path) as f:
        cfg = json.load(f)
    with open(cfg["sign_cert"]) as f:
        pem = f.read()
    cert_der = ssl.PEM_cert_to_DER_cert(pem)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            if url.path != "/token":
                self.send_error(404)
                return
            q = urllib.parse.parse_qs(url.query)
            user = None
            auth = self.headers.get("Authorization", "")
            if auth.lower().startswith("basic "):
                try:
                    u, _, pw = base64.b64decode(auth[6:].strip()).decode().partition(":")
                except Exception:
                    u, pw = "", None
                entry = cfg["users"].get(u)
                if not entry or entry["password"] != pw:
                    body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                                   "message": "authentication required"}]}).encode()
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("WWW-Authenticate", 'Basic realm="pulltui-token"')
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                user = u
            grants = cfg["users"][user]["grants"] if user else cfg["anonymous"]
            access = []
            for sc in q.get("scope", []):
                parts = sc.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, wanted = ":".join(parts[1:-1]), parts[-1].split(",")
                access.append({"type": "repository", "name": name,
                               "actions": granted(grants, name, wanted)})
            now = int(time.time())
            claims = {"iss": cfg["issuer"], "sub": user or "", "aud": q.get("service", [""])[0],
                      "exp": now + 300, "nbf": now - 10, "iat": now,
                      "jti": base64.b16encode(os.urandom(8)).decode(), "access": access}
            tok = sign_jwt(claims, cfg["sign_key"], cert_der)
            body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300,
                               "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cfg["tls_cert"], cfg["tls_key"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


# ------------------------------------------------------------------ push ----

def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_image(repo, tag, arch="amd64"):
    payload = f"pulltui harness image {repo}:{tag}\n".encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(payload)
        info.mtime = 0
        info.mode = 0o644
        tf.addfile(info, io.BytesIO(payload))
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar)
    layer = gz.getvalue()
    config = json.dumps({
        "architecture": arch,
        "os": "linux",
        "config": {"Cmd": ["/hello"], "Env": ["PATH=/"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(tar)]},
        "history": [{"created_by": "pulltui harness"}],
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": sha(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer), "digest": sha(layer)}],
    }, indent=3).encode()
    return config, layer, manifest


def cmd_push(args):
    if args.insecure:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif args.cafile:
        ctx = ssl.create_default_context(cafile=args.cafile)
    else:
        ctx = None
    headers = {}
    basic = None
    if args.user:
        tok = base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
        basic = "Basic " + tok
        headers["Authorization"] = basic
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))
    base = args.registry.rstrip("/")

    def bearer(challenge):
        params = dict((k, v) for k, v in
                      (p.split("=", 1) for p in challenge[len("Bearer "):].replace('"', "").split(",")))
        q = urllib.parse.urlencode({"service": params.get("service", ""),
                                    "scope": f"repository:{args.repo}:pull,push"})
        h = {"Authorization": basic} if basic else {}
        r = opener.open(urllib.request.Request(params["realm"] + "?" + q, headers=h), timeout=10)
        return "Bearer " + json.load(r)["token"]

    def req(method, url, data=None, extra=None):
        h = dict(headers)
        h.update(extra or {})
        r = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            return opener.open(r, timeout=10)
        except urllib.error.HTTPError as e:
            ch = e.headers.get("WWW-Authenticate", "")
            if e.code != 401 or not ch.startswith("Bearer "):
                raise
            headers["Authorization"] = bearer(ch)
            h.update(headers)
            r = urllib.request.Request(url, data=data, method=method, headers=h)
            return opener.open(r, timeout=10)

    if args.index_only:
        entries = []
        for arch in args.index_only.split(","):
            m = push_one(req, base, args.repo, args.tag, arch, ref=None)
            entries.append({"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                            "size": len(m), "digest": sha(m),
                            "platform": {"os": "linux", "architecture": arch}})
        index = json.dumps({"schemaVersion": 2,
                            "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": entries}, indent=3).encode()
        r = req("PUT", f"{base}/v2/{args.repo}/manifests/{args.tag}", data=index,
                extra={"Content-Type": "application/vnd.oci.image.index.v1+json"})
        print(f"pushed index {base}/{args.repo}:{args.tag} ({args.index_only}) "
              f"{r.headers.get('Docker-Content-Digest')}")
        return
    push_one(req, base, args.repo, args.tag, args.arch, ref=args.tag)


def push_one(req, base, repo, tag, arch, ref):
    """Blobs and the manifest of one image; `ref` None pushes the manifest by digest."""
    config, layer, manifest = make_image(repo, tag, arch)
    for blob in (config, layer):
        d = sha(blob)
        try:
            req("HEAD", f"{base}/v2/{repo}/blobs/{d}")
            continue  # already there
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        r = req("POST", f"{base}/v2/{repo}/blobs/uploads/", data=b"")
        loc = urllib.parse.urljoin(base + "/", r.headers["Location"])
        sep = "&" if "?" in loc else "?"
        req("PUT", f"{loc}{sep}digest={urllib.parse.quote(d)}", data=blob,
            extra={"Content-Type": "application/octet-stream"})
    r = req("PUT", f"{base}/v2/{repo}/manifests/{ref or sha(manifest)}", data=manifest,
            extra={"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"})
    print(f"pushed {base}/{repo}:{ref or sha(manifest)} ({arch}) {r.headers.get('Docker-Content-Digest')}")
    return manifest


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("free-ports")
    p.add_argument("n", type=int)
    p = sub.add_parser("serve")
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--blackhole-port", type=int, required=True)
    p.add_argument("--dns53")
    p.add_argument("--token-port", type=int)
    p.add_argument("--token-config")
    p.add_argument("--webhook-port", type=int)
    p.add_argument("--webhook-cert")
    p.add_argument("--webhook-key")
    p.add_argument("--inject-image")
    p.add_argument("--stall-port", type=int)
    p.add_argument("--stall-cert")
    p.add_argument("--stall-key")
    p.add_argument("--blobhost-port", type=int)
    p.add_argument("--blobhost-cert")
    p.add_argument("--blobhost-key")
    p.add_argument("--blobhost-log")
    p.add_argument("--blobfront-port", type=int)
    p.add_argument("--blobdead-port", type=int)
    p.add_argument("--head405-port", type=int)
    p.add_argument("--blobsplit-port", type=int)
    p.add_argument("--blob-password")
    p.add_argument("--proxy-port", type=int)
    p.add_argument("--proxy-auth-port", type=int)
    p.add_argument("--proxy-deny-port", type=int)
    p.add_argument("--proxy-log")
    p.add_argument("--proxy-user")
    p.add_argument("--proxy-password")
    p.add_argument("--proxy-deny")
    p = sub.add_parser("push")
    p.add_argument("--registry", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--cafile")
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--arch", default="amd64")
    p.add_argument("--index-only")
    args = ap.parse_args()
    if args.cmd == "free-ports":
        free_ports(args.n)
    elif args.cmd == "serve":
        cmd_serve(args)
    else:
        cmd_push(args)


if __name__ == "__main__":
    main()
