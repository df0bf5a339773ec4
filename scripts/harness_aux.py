#!/usr/bin/env python3
"""Helpers for scripts/test-cluster (stdlib only; everything on loopback).

  free-ports N                      print N distinct free TCP ports on 127.0.0.1
  serve --dns-port P --blackhole-port Q
        DNS server on 127.0.0.1:P/udp: `localhost` and `*.localhost` -> 127.0.0.1,
        every other name -> NXDOMAIN (so lookups of `*.invalid` are real DNS
        round trips that never leave loopback).
        Blackhole on 127.0.0.1:Q/tcp: a listener whose accept queue is kept full
        and never accepted, so new SYNs are dropped and clients see a connect
        timeout (`dial tcp ...: i/o timeout`), like a firewalled registry.
  push --registry URL --repo R --tag T [--user U --password P] [--cafile F | --insecure]
        push a tiny real image (config blob, gzip layer blob, schema2 manifest)
        through the registry HTTP API.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import signal
import socket
import ssl
import struct
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


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


def serve_dns(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
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
    serve_blackhole(args.blackhole_port)


# ------------------------------------------------------------------ push ----

def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_image(repo, tag):
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
        "architecture": "amd64",
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
    if args.user:
        tok = base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
        headers["Authorization"] = "Basic " + tok
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))
    base = args.registry.rstrip("/")

    def req(method, url, data=None, extra=None):
        h = dict(headers)
        h.update(extra or {})
        r = urllib.request.Request(url, data=data, method=method, headers=h)
        return opener.open(r, timeout=10)

    config, layer, manifest = make_image(args.repo, args.tag)
    for blob in (config, layer):
        d = sha(blob)
        try:
            req("HEAD", f"{base}/v2/{args.repo}/blobs/{d}")
            continue  # already there
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        r = req("POST", f"{base}/v2/{args.repo}/blobs/uploads/", data=b"")
        loc = urllib.parse.urljoin(base + "/", r.headers["Location"])
        sep = "&" if "?" in loc else "?"
        req("PUT", f"{loc}{sep}digest={urllib.parse.quote(d)}", data=blob,
            extra={"Content-Type": "application/octet-stream"})
    r = req("PUT", f"{base}/v2/{args.repo}/manifests/{args.tag}", data=manifest,
            extra={"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"})
    print(f"pushed {base}/{args.repo}:{args.tag} {r.headers.get('Docker-Content-Digest')}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("free-ports")
    p.add_argument("n", type=int)
    p = sub.add_parser("serve")
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--blackhole-port", type=int, required=True)
    p = sub.add_parser("push")
    p.add_argument("--registry", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--cafile")
    p.add_argument("--insecure", action="store_true")
    args = ap.parse_args()
    if args.cmd == "free-ports":
        free_ports(args.n)
    elif args.cmd == "serve":
        cmd_serve(args)
    else:
        cmd_push(args)


if __name__ == "__main__":
    main()
