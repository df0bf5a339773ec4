//! The probe pod as it is previewed and created: its name, the script it
//! runs, its manifest, and the preview shown before `y`.

use super::*;

/// A pod name for `node` at `now`: `pulltui-probe-<node>-<time>`.
pub fn pod_name(node: &str, now: Timestamp) -> String {
    let clean: String = node
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(30)
        .collect();
    let clean = clean.trim_matches('-');
    format!(
        "pulltui-probe-{clean}-{:x}",
        now.as_millisecond().rem_euclid(1 << 40)
    )
}

/// The shell script the pod runs: `sh -c SCRIPT probe HOST PORT TIMEOUT
/// [BLOBHOST BLOBPORT]`.
/// Each line it prints is a [`parse_node_line`] result; the same lines go
/// to the termination message.
pub const SCRIPT: &str = r#"H="$1"; P="$2"; T="$3"; BH="${4:-}"; BP="${5:-443}"
out() { echo "PULLTUI-PROBE $*"; echo "PULLTUI-PROBE $*" >>/dev/termination-log 2>/dev/null; }
ms() { awk -v s="$1" 'BEGIN{printf "%d", s*1000}'; }
CA=""
for f in /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-bundle.crt /etc/ssl/cert.pem; do
  if [ -f "$f" ]; then CA="--cacert $f"; break; fi
done
[ -n "$CA" ] || CA="--capath /etc/ssl/certs"
case "$H" in *:*) U="[$H]";; *) U="$H";; esac
A=""
if command -v getent >/dev/null 2>&1; then
  A=$(getent ahosts "$H" 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ',' | sed 's/,$//')
else
  A=$(nslookup "$H" 2>/dev/null | awk '/^Name:/{n=1} n&&/^Address/{print $NF}' | sort -u | tr '\n' ',' | sed 's/,$//')
fi
PROXY=""
[ -n "${HTTPS_PROXY:-}${https_proxy:-}" ] && PROXY="; HTTPS_PROXY is set in the pod"
redact() { echo "$1" | sed 's#^\([a-zA-Z0-9]*://\)\{0,1\}[^/@]*@#\1***@#'; }
# The container runtime's proxy settings, where the node's /etc is mounted
# (PULLTUI_NODE_ETC): the first file that sets one is what curl uses too.
RF=""
if [ -z "${PULLTUI_NODE_ETC:-}" ]; then
  out "note=proxy detail=the runtime's proxy settings could not be read: the pod has no access to the node's /etc"
else
  for f in "$PULLTUI_NODE_ETC"/systemd/system/containerd.service.d/*.conf "$PULLTUI_NODE_ETC"/systemd/system/crio.service.d/*.conf \
           "$PULLTUI_NODE_ETC"/systemd/system/docker.service.d/*.conf "$PULLTUI_NODE_ETC"/sysconfig/containerd \
           "$PULLTUI_NODE_ETC"/sysconfig/crio "$PULLTUI_NODE_ETC"/sysconfig/docker "$PULLTUI_NODE_ETC"/default/containerd \
           "$PULLTUI_NODE_ETC"/default/docker; do
    [ -f "$f" ] && [ -r "$f" ] || continue
    KV=$(sed -n -e 's/^[[:space:]]*Environment=//p' -e 's/^[[:space:]]*export[[:space:]][[:space:]]*//p' \
         -e '/^[[:space:]]*[A-Za-z_]*=/p' "$f" | tr ' ' '\n' | tr -d "\"'" | grep -iE '^(https_proxy|http_proxy|no_proxy)=')
    [ -n "$KV" ] || continue
    RF="${f#"$PULLTUI_NODE_ETC"}"; RF="/etc$RF"
    for kv in $KV; do
      v="${kv#*=}"
      case "$kv" in
        [Hh][Tt][Tt][Pp][Ss]_[Pp][Rr][Oo][Xx][Yy]=*) export HTTPS_PROXY="$v" https_proxy="$v" ;;
        [Hh][Tt][Tt][Pp]_[Pp][Rr][Oo][Xx][Yy]=*) export HTTP_PROXY="$v" http_proxy="$v" ;;
        [Nn][Oo]_[Pp][Rr][Oo][Xx][Yy]=*) export NO_PROXY="$v" no_proxy="$v" ;;
      esac
    done
    break
  done
  if [ -n "$RF" ]; then
    S=""
    [ -n "${HTTPS_PROXY:-}" ] && S="$S HTTPS_PROXY=$(redact "$HTTPS_PROXY")"
    [ -n "${HTTP_PROXY:-}" ] && S="$S HTTP_PROXY=$(redact "$HTTP_PROXY")"
    [ -n "${NO_PROXY:-}" ] && S="$S NO_PROXY=$NO_PROXY"
    out "note=proxy detail=the runtime's proxy settings: $RF sets$S; this probe goes the same way"
    [ -n "${HTTPS_PROXY:-}" ] && PROXY="; via the runtime's HTTPS_PROXY=$(redact "$HTTPS_PROXY") ($RF)"
  else
    out "note=proxy detail=no runtime proxy settings found on the node (containerd, CRI-O and docker drop-ins, /etc/sysconfig, /etc/default)"
  fi
fi
O=$(curl -sS -o /dev/null $CA --connect-timeout "$T" -m $((T * 3)) -w '\nPTW %{time_namelookup} %{time_connect} %{time_appconnect} %{http_code} %{remote_ip} %{remote_port}\n' "https://$U:$P/v2/" 2>&1)
RC=$?
W=$(echo "$O" | grep '^PTW' | tail -n 1)
E=$(echo "$O" | grep '^curl:' | head -n 1)
set -- $W
DNS_MS=$(ms "${2:-0}"); CON_MS=$(( $(ms "${3:-0}") - DNS_MS )); TLS_MS=$(( $(ms "${4:-0}") - $(ms "${3:-0}") ))
[ "$CON_MS" -ge 0 ] || CON_MS=0; [ "$TLS_MS" -ge 0 ] || TLS_MS=0
IP="${6:-}"
if [ -z "$A" ] && [ "$RC" -eq 6 ]; then
  out "step=dns status=fail ms=$DNS_MS category=network.dns nxdomain=1 detail=the node's resolver: $E"
  exit 1
fi
[ -n "$A" ] || A="$IP"
out "step=dns status=ok ms=$DNS_MS addrs=$A detail=the node's resolver: $A"
blob() {
  [ -n "$BH" ] || return 0
  case "$BH" in *:*) BU="[$BH]";; *) BU="$BH";; esac
  BO=$(curl -sS -o /dev/null $CA --connect-timeout "$T" -m $((T * 2)) -r 0-0 "https://$BU:$BP/" 2>&1)
  BRC=$?
  BE=$(echo "$BO" | grep '^curl:' | head -n 1)
  L="the registry is reachable from this node; layers come from $BH:$BP and"
  case "$BRC" in
    0|22) out "step=blob status=ok ms=0 detail=layers come from $BH:$BP: DNS, TCP and TLS to it work from this node" ;;
    6) out "step=blob status=fail ms=0 category=network.dns detail=$L its name does not resolve from this node: $BE"; return 1 ;;
    7) out "step=blob status=fail ms=0 category=network.refused detail=$L that host refuses the connection from this node: $BE$PROXY"; return 1 ;;
    28) out "step=blob status=fail ms=0 category=network.timeout detail=$L that host times out from this node: $BE$PROXY"; return 1 ;;
    5) out "step=blob status=fail ms=0 category=network.proxy detail=$L the proxy fails for it: $BE$PROXY"; return 1 ;;
    51) out "step=blob status=fail ms=0 category=tls.hostname detail=$L its certificate does not match it: $BE"; return 1 ;;
    35|53|54|58|59|60|77|80|83|90|91) out "step=blob status=fail ms=0 category=tls.untrusted detail=$L its TLS fails from this node: $BE"; return 1 ;;
    *) out "step=blob status=fail ms=0 category=unknown detail=$L curl exit $BRC: $BE"; return 1 ;;
  esac
}
case "$RC" in
  0|35|51|53|54|58|59|60|77|80|83|90|91) : ;;
  56) case "$E" in
        *CONNECT*|*roxy*) out "step=tcp status=fail ms=$CON_MS category=network.proxy detail=the proxy refuses the tunnel: $E$PROXY"; exit 1 ;;
        *) out "step=tcp status=fail ms=$CON_MS category=unknown detail=curl exit $RC: $E"; exit 1 ;;
      esac ;;
  7) if [ -n "$RF" ] && [ -n "${HTTPS_PROXY:-}" ]; then
       out "step=tcp status=fail ms=$CON_MS category=network.proxy detail=the runtime's proxy is unreachable: $E$PROXY"; exit 1
     fi
     case "$E" in
       *nreachable*|*"No route"*) out "step=tcp status=fail ms=$CON_MS category=network.unreachable detail=$E$PROXY" ;;
       *) out "step=tcp status=fail ms=$CON_MS category=network.refused detail=connection refused: $E$PROXY" ;;
     esac; exit 1 ;;
  5) out "step=tcp status=fail ms=$CON_MS category=network.proxy detail=$E$PROXY"; exit 1 ;;
  28) if [ "${3:-0}" = "0.000000" ] || [ "${3:-0}" = "0" ]; then
        out "step=tcp status=fail ms=$((T * 1000)) category=network.timeout detail=$E$PROXY"; exit 1
      fi ;;
  *) out "step=tcp status=fail ms=$CON_MS category=unknown detail=curl exit $RC: $E"; exit 1 ;;
esac
RPORT="${7:-$P}"
if [ -n "$RF" ] && [ "$RPORT" != "$P" ]; then
  out "step=tcp status=ok ms=$CON_MS detail=connected to the proxy ${IP}:$RPORT, a tunnel to $H:$P$PROXY"
elif [ -n "$RF" ]; then
  out "step=tcp status=ok ms=$CON_MS detail=connected to ${IP:-$H}:$P directly: the runtime's NO_PROXY exempts $H ($RF)"
else
  out "step=tcp status=ok ms=$CON_MS detail=connected to ${IP:-$H}:$P$PROXY"
fi
if [ "$RC" -eq 0 ] || [ "$RC" -eq 22 ]; then
  out "step=tls status=ok ms=$TLS_MS detail=verified by curl against the node's roots; GET /v2/ answered ${5:-?}"
  out "step=http status=skipped ms=0 detail=the port speaks TLS"
  blob || exit 1
  exit 0
fi
if [ "$RC" -eq 28 ]; then
  out "step=tls status=fail ms=$TLS_MS category=network.timeout detail=TLS handshake or response timed out: $E"
  exit 1
fi
C=$(curl -k -sS -o /dev/null --connect-timeout "$T" -m "$T" -w '%{certs}' "https://$U:$P/v2/" 2>/dev/null | awk '
  /^Subject:/ && !s {s=substr($0,9)} /^Issuer:/ && !i {i=substr($0,8)}
  /^Start date:/ && !b {b=substr($0,12)} /^Expire date:/ && !x {x=substr($0,13)}
  /Subject Alternative Name:/ && !n {sub(/.*Subject Alternative Name:/,""); n=$0}
  END {if (s != "") printf "; served: subject %s, issuer %s, SANs %s, valid %s to %s", s, i, n, b, x}')
out "step=tls status=fail ms=$TLS_MS detail=$E$C"
HC=""
case "$E" in
  *"wrong version number"*|*"packet length too long"*|*"record layer failure"*)
    HC=$(curl -sS -o /dev/null --connect-timeout "$T" -m "$T" -w '%{http_code}' "http://$U:$P/v2/" 2>/dev/null) ;;
esac
if [ -n "$HC" ] && [ "$HC" != "000" ]; then
  out "step=http status=ok ms=0 detail=the port speaks plain HTTP (GET /v2/ answered $HC)"
else
  out "step=http status=skipped ms=0 detail=the port does not answer plain HTTP either"
fi
exit 1
"#;

/// Where the probe container sees the node's `/etc` (read-only).
pub const NODE_ETC: &str = "/mnt";

/// The probe pod object.
pub fn build_pod(req: &ProbePodRequest, name: &str, now: Timestamp) -> Pod {
    let expires = now
        .checked_add(jiff::SignedDuration::from_secs(req.deadline_s() + 120))
        .unwrap_or(now);
    let host = req
        .target
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let api_host = if req.target.is_docker_hub() {
        "registry-1.docker.io".to_string()
    } else {
        host
    };
    let port = req.target.port().unwrap_or(443).to_string();
    let mut command = vec![
        "sh".to_string(),
        "-c".into(),
        SCRIPT.into(),
        "probe".into(),
        api_host,
        port,
        req.step_timeout_s.to_string(),
    ];
    if let Some((h, p)) = &req.blob_host {
        command.extend([h.clone(), p.to_string()]);
    }
    let mut spec = serde_json::json!({
        "nodeName": req.node,
        "restartPolicy": "Never",
        // What Pod Security "restricted" asks of every pod.
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "activeDeadlineSeconds": req.deadline_s(),
        "terminationGracePeriodSeconds": 0,
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "tolerations": [{"operator": "Exists"}],
        "containers": [{
            "name": CONTAINER,
            "image": req.probe_image,
            "imagePullPolicy": "IfNotPresent",
            "command": command,
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                          "limits": {"cpu": "200m", "memory": "64Mi"}},
            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                "runAsNonRoot": true, "runAsUser": 65534,
                                "capabilities": {"drop": ["ALL"]}},
        }],
    });
    if let Some(secret) = &req.pull_secret {
        spec["imagePullSecrets"] = serde_json::json!([{"name": secret}]);
    }
    if req.host_network {
        spec["hostNetwork"] = true.into();
        spec["dnsPolicy"] = "Default".into();
        // The node's /etc, read-only, for the runtime's proxy settings: the
        // parent of every place they live (systemd drop-ins, /etc/sysconfig,
        // /etc/default), which exists on every node, so nothing is created
        // and no mount fails where one of them is absent. The container runs
        // as nobody: only world-readable files are visible, and the script
        // reads only the proxy settings.
        spec["containers"][0]["volumeMounts"] = serde_json::json!([
            {"name": "node-certs", "mountPath": "/etc/ssl/certs", "readOnly": true},
            {"name": "node-etc", "mountPath": NODE_ETC, "readOnly": true}]);
        spec["containers"][0]["env"] =
            serde_json::json!([{"name": "PULLTUI_NODE_ETC", "value": NODE_ETC}]);
        spec["volumes"] = serde_json::json!([
            {"name": "node-certs", "hostPath": {"path": "/etc/ssl/certs", "type": "Directory"}},
            {"name": "node-etc", "hostPath": {"path": "/etc", "type": "Directory"}}]);
    }
    let pod = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": req.namespace,
            "labels": {MANAGED_BY_KEY: MANAGED_BY, COMPONENT_KEY: COMPONENT},
            "annotations": {
                EXPIRES_KEY: expires.to_string(),
                "pulltui.dev/probe-target": req.target.registry,
            },
        },
        "spec": spec,
    });
    serde_json::from_value(pod).unwrap_or_default()
}

/// The preview of the write: the YAML and the kubectl equivalent.
pub fn preview(pod: &Pod) -> String {
    let mut v = serde_json::to_value(pod).unwrap_or_default();
    if let Some(m) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        m.remove("creationTimestamp");
    }
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    format!(
        "# create pod {ns}/{name} (deleted when the probe ends)\n{}\n# kubectl equivalent: kubectl -n {ns} create -f - <<'EOF' ... EOF; then kubectl -n {ns} delete pod {name} --grace-period=0\n",
        yaml(&v, 0).trim_end()
    )
}

/// A small YAML emitter for previews (block style, strings quoted when needed).
pub(super) fn yaml(v: &serde_json::Value, indent: usize) -> String {
    use serde_json::Value;
    let pad = " ".repeat(indent);
    let scalar = |v: &Value| -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => {
                if s.contains('\n') {
                    String::new()
                } else if s.is_empty()
                    || s.contains(": ")
                    || s.contains(" #")
                    || s.starts_with(|c: char| "!&*-?{}[],#|>@`\"'%: ".contains(c))
                    || s.parse::<f64>().is_ok()
                    || matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no")
                {
                    serde_json::to_string(s).unwrap_or_default()
                } else {
                    s.clone()
                }
            }
            _ => String::new(),
        }
    };
    let mut out = String::new();
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                match val {
                    Value::Object(o) if !o.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n{}", yaml(val, indent + 2)));
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n{}", yaml(val, indent)));
                    }
                    Value::String(s) if s.contains('\n') => {
                        out.push_str(&format!("{pad}{k}: |\n"));
                        for line in s.lines() {
                            out.push_str(&format!("{pad}  {line}\n"));
                        }
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(val))),
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        let inner = yaml(item, indent + 2);
                        let trimmed = inner.trim_start();
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    Value::String(s) if s.contains('\n') => {
                        out.push_str(&format!("{pad}- |\n"));
                        for line in s.lines() {
                            out.push_str(&format!("{pad}    {line}\n"));
                        }
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
    out
}
