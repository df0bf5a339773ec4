"""The fleet benchmark (issue 23): `scripts/bench --fleet N [--fleet-pods P]`.

Starts N API servers (scripts/test-cluster fleet-up, the controllers that
would rewrite generated pods off, no node simulator), loads P pods into each
(1% failing), and measures with one kubeconfig holding each cluster's admin
context:

  raw LIST    one unpaginated GET /api/v1/pods per cluster, one after the
              other; the slowest is the yardstick
  fleet tui   pulltui --contexts (all N) in a pty: spawn to the complete
              failing table of every cluster (owners resolved), peak RSS,
              CPU-seconds per 30 s when quiet
  degraded    the same with two more contexts: one whose server never
              answers the connection (a blackhole address: connect timeout)
              and one that reaches cluster 1 through a proxy adding 300 ms
              to every chunk (slow); the time until the N good clusters'
              tables are complete, against the run without them

The numbers land in the results file under "fleet" and are printed with
their targets: full table <= 1.0x the slowest raw LIST, peak RSS < 200 MB,
quiet CPU < 0.5 CPU-s / 30 s, degraded within 10% (+0.5 s) of undegraded.
"""
import json
import os
import socket
import subprocess
import tempfile
import threading
import time

SLOW_DELAY = 0.3
BLACKHOLE = "10.255.255.1:6443"


def member_kubeconfig(b, member_kc, context_name):
    """The member's admin context, flattened (certificates inline), renamed."""
    out = subprocess.run(
        ["kubectl", "config", "view", "--raw", "--flatten", "--minify", "--context", "admin", "-o", "json"],
        env=dict(os.environ, KUBECONFIG=member_kc), check=True, capture_output=True, text=True).stdout
    kc = json.loads(out)
    cluster, user = kc["clusters"][0], kc["users"][0]
    cluster["name"] = user["name"] = context_name
    return cluster, user


def proxy(target_port, delay):
    """A TCP proxy on 127.0.0.1 that holds every chunk `delay` seconds; its port."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def pipe(a, z):
        try:
            while True:
                chunk = a.recv(65536)
                if not chunk:
                    break
                time.sleep(delay)
                z.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (a, z):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", target_port))
            except OSError:
                c.close()
                continue
            threading.Thread(target=pipe, args=(c, u), daemon=True).start()
            threading.Thread(target=pipe, args=(u, c), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


def write_kubeconfig(path, entries):
    """entries: (context, cluster, user)."""
    kc = {"apiVersion": "v1", "kind": "Config", "preferences": {},
          "clusters": [], "users": [], "contexts": [], "current-context": entries[0][0]}
    for ctx, cluster, user in entries:
        kc["clusters"].append(cluster)
        kc["users"].append(user)
        kc["contexts"].append({"name": ctx, "context": {"cluster": cluster["name"], "user": user["name"]}})
    with open(path, "w") as f:
        json.dump(kc, f)
    os.chmod(path, 0o600)


def measure(b, binary, env, contexts, good, expect_each, quiet):
    """pulltui --contexts …: seconds to every good cluster's complete table."""
    t = b.Tui(binary, env, cols=200, rows=50, args=["--contexts", ",".join(contexts)])

    def complete(fr):
        cs = {c["context"]: c for c in fr.get("clusters", [])}
        return all(cs.get(g, {}).get("failing", 0) >= expect_each for g in good) and fr["owners_pending"] == 0

    full = t.wait_for(complete, 600)
    out = {}
    if full is None:
        out["error"] = "no complete table within 600 s"
    else:
        out["full_table_seconds"] = round(full["t_ms"] / 1000 - t.started, 2)
        out["failing_on_screen"] = full["failing"]
        # Quiet means after the full lists (every healthy pod) are in.
        synced = t.wait_for(lambda fr: complete(fr) and all(
            c["synced"] for c in fr.get("clusters", []) if c["context"] in good), 600)
        if synced is not None:
            out["synced_seconds"] = round(synced["t_ms"] / 1000 - t.started, 2)
    time.sleep(3)
    c0 = t.cpu()
    time.sleep(quiet)
    out["quiet_cpu_seconds_per_30s"] = round((t.cpu() - c0) * 30 / quiet, 3)
    t.poll()
    if t.frames:
        out["states"] = {c["context"]: c["state"] for c in t.frames[-1].get("clusters", [])}
    out["peak_rss_mb"] = round(t.stop(), 1)
    return out


def run(a, b):
    """`scripts/bench --fleet N`: b is the bench module (Tui, sh, timed, log)."""
    n, per = a.fleet, a.fleet_pods
    b.log("building release binary and the scale generator")
    b.sh(["cargo", "build", "--release", "--locked", "--bin", "pulltui", "--example", "scale"], cwd=b.ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(b.ROOT, "target"))
    binary = os.path.join(target, "release", "pulltui")
    scale = os.path.join(target, "release", "examples", "scale")
    ctl = os.path.join(b.ROOT, "scripts", "test-cluster")
    fdir = tempfile.mkdtemp(prefix="pulltui-bench-fleet-")
    os.rmdir(fdir)
    env = dict(os.environ, PULLTUI_HARNESS_CONTROLLERS=
               "*,-replicaset,-deployment,-nodelifecycle,-podgc,-statefulset,-daemonset,-job,-cronjob")
    env.pop("PULLTUI_KUBELET_SIM", None)
    # One more than measured: fleet-up restricts its last cluster to one
    # namespace; the bench reads the others with their admin contexts.
    b.log(f"starting a fleet of {n + 1} in {fdir}")
    b.sh([ctl, "fleet-up", fdir, "--k8s", a.k8s, "--clusters", str(n + 1)], env=env, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="pulltui-bench-run-")
    results = {"machine": b.machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "fleet": {"clusters": n, "pods_per_cluster": per, "failing_fraction": a.failing}}
    r = results["fleet"]
    try:
        letters = "abcdefghijklmnopqrstuvwxyz"[:n]
        members = [(f"fleet-{l}", os.path.join(fdir, "clusters", f"fleet-{l}", "kubeconfig")) for l in letters]
        entries = []
        for ctx, kc in members:
            cluster, user = member_kubeconfig(b, kc, ctx)
            entries.append((ctx, cluster, user))
        kubeconfig = os.path.join(work, "fleet-admin.kubeconfig")
        # The degraded run's two extra contexts: a blackhole and a slow proxy to cluster 1.
        first = entries[0][1]
        port = int(first["cluster"]["server"].rsplit(":", 1)[1])
        slow_port = proxy(port, SLOW_DELAY)
        slow = dict(json.loads(json.dumps(first)), name="fleet-slow")
        slow["cluster"]["server"] = f"https://127.0.0.1:{slow_port}"
        hole = dict(json.loads(json.dumps(first)), name="fleet-down")
        hole["cluster"]["server"] = f"https://{BLACKHOLE}"
        write_kubeconfig(kubeconfig, entries + [
            ("fleet-slow", slow, dict(entries[0][2], name="fleet-slow")),
            ("fleet-down", hole, dict(entries[0][2], name="fleet-down"))])
        renv = dict(os.environ, KUBECONFIG=kubeconfig, PULLTUI_BENCH_DIR=work,
                    XDG_CONFIG_HOME=os.path.join(work, "config"), XDG_STATE_HOME=os.path.join(work, "state"),
                    XDG_DATA_HOME=os.path.join(work, "data"), XDG_CACHE_HOME=os.path.join(work, "cache"),
                    HOME=os.environ.get("HOME", "/root"))
        expect_each = b.failing_count(per, a.failing)
        t0 = time.time()
        loads = [subprocess.Popen([scale, "--kubeconfig", kc, "load", "--pods", str(per), "--failing", str(a.failing),
                                   "--concurrency", "16"], stdout=subprocess.DEVNULL)
                 for _, kc in members]
        if any(p.wait() != 0 for p in loads):
            raise RuntimeError("loading pods failed")
        r["load_seconds"] = round(time.time() - t0, 1)
        b.log(f"loaded {n} x {per} pods in {r['load_seconds']} s")
        time.sleep(3)
        raws = []
        for ctx, _, _ in entries:
            s, nbytes = b.timed(["kubectl", "--context", ctx, "get", "--raw", "/api/v1/pods"], renv)
            raws.append((round(s, 2), round(nbytes / 1e6, 1)))
        r["raw_list_seconds"] = [x[0] for x in raws]
        r["raw_list_mb_each"] = raws[0][1]
        r["slowest_raw_list_seconds"] = max(x[0] for x in raws)
        good = [e[0] for e in entries]
        r["tui"] = measure(b, binary, renv, good, good, expect_each, a.quiet)
        b.log(f"fleet tui: {r['tui']}")
        r["tui_degraded"] = measure(b, binary, renv, good + ["fleet-slow", "fleet-down"], good, expect_each,
                                    min(a.quiet, 10))
        b.log(f"fleet tui with a slow and an unreachable context: {r['tui_degraded']}")
    finally:
        if not a.keep:
            b.sh([ctl, "down", fdir], stdout=subprocess.DEVNULL)
    results["targets"] = targets(r)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)
    print()
    for t in results["targets"]:
        mark = {True: "ok  ", False: "MISS", None: "info"}[t["ok"]]
        print(f"{mark}  {t['target']}: {t['value']} (target {t['limit']})")
    b.log(f"results: {a.out}")
    return 0 if all(t["ok"] for t in results["targets"] if t["ok"] is not None) else 1


def targets(r):
    out = []

    def add(name, value, limit, ok):
        out.append({"target": name, "value": value, "limit": limit, "ok": ok})
    n, per = r["clusters"], r["pods_per_cluster"]
    t, d, raw = r.get("tui", {}), r.get("tui_degraded", {}), r.get("slowest_raw_list_seconds")
    ft = t.get("full_table_seconds")
    add(f"{n} x {per:,} pods: complete failing table of all vs the slowest raw LIST",
        f"{ft} s vs {raw} s = {round(ft / raw, 2) if ft and raw else None}x", "<= 1.0x",
        ft is not None and raw is not None and ft <= raw)
    rss = t.get("peak_rss_mb")
    add(f"{n} x {per:,} pods: TUI peak RSS", f"{rss} MB", "< 200 MB", rss is not None and rss < 200)
    q = t.get("quiet_cpu_seconds_per_30s")
    add(f"{n} x {per:,} pods: quiet CPU, all clusters", f"{q} CPU-s / 30 s", "< 0.5", q is not None and q < 0.5)
    dt = d.get("full_table_seconds")
    add("one context unreachable and one slow: the others' complete table",
        f"{dt} s vs {ft} s without them; states {d.get('states')}", "<= 1.1x (+0.5 s)",
        dt is not None and ft is not None and dt <= ft * 1.1 + 0.5)
    return out
