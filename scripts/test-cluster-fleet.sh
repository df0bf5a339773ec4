#!/usr/bin/env bash
# The fleet half of scripts/test-cluster (fleet-up, fleet-stop, fleet-start),
# sourced by it: it uses that script's helpers and variables (start, alive,
# wait_for, the cluster_* steps, D, K8S, the ports P_*) and is not run on its own.
# shellcheck shell=bash

# ------------------------------------------------------------------ fleet ----
#
# A fleet: N clusters, each its own kube-apiserver (own CA, tokens and
# service-account keys, port), kube-controller-manager and, with
# PULLTUI_KUBELET_SIM, kubelet simulator (one node, NAME-node), in
# DIR/clusters/NAME (NAME fleet-a, fleet-b, ...). They share one etcd, each
# API server under its own --etcd-prefix (/NAME/registry), and one set of
# registries, DNS, token server and sidecar-injector webhook. DIR/kubeconfig
# has one context per cluster; the last cluster's context is a restricted
# user who may only get/list/watch pods and events in one namespace.

FLEET_LETTERS=abcdefghijklmnopqrstuvwxyz
FLEET_RESTRICTED_NS=scoped
FLEET_RESTRICTED_USER=pulltui-fleet-restricted

# wait_registries: the registries and the token server answer (fleet-up
# pushes the images before any API server is up).
wait_registries() {
    local u
    for u in "https://127.0.0.1:$P_SELF/v2/" "http://127.0.0.1:$P_HTTP/v2/" \
        "https://127.0.0.1:$P_AUTH/v2/" "https://127.0.0.1:$P_TOKREG/v2/" \
        "https://127.0.0.1:$P_TOKSRV/token"; do
        wait_for "$u" 30 curl -sk -o /dev/null "$u"
    done
}

# fleet_restrict: in the cluster, namespace FLEET_RESTRICTED_NS and the user
# FLEET_RESTRICTED_USER, who may get/list/watch pods and events there and
# nothing else (a Role and its RoleBinding; no ClusterRoleBinding).
fleet_restrict() {
    local k=(kubectl --kubeconfig "$C/kubeconfig" --context admin)
    "${k[@]}" apply -f - >/dev/null <<RBAC
apiVersion: v1
kind: Namespace
metadata:
  name: $FLEET_RESTRICTED_NS
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: $FLEET_RESTRICTED_USER
  namespace: $FLEET_RESTRICTED_NS
rules:
- apiGroups: [""]
  resources: [pods, events]
  verbs: [get, list, watch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: $FLEET_RESTRICTED_USER
  namespace: $FLEET_RESTRICTED_NS
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: $FLEET_RESTRICTED_USER
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: $FLEET_RESTRICTED_USER
RBAC
    case "$K8S" in
        1.20) wait_for "$FLEET_RESTRICTED_NS ServiceAccount token" 120 bash -c \
            "[ -n \"\$(${k[*]} -n $FLEET_RESTRICTED_NS get sa default -o jsonpath='{.secrets[0].name}')\" ]" ;;
        *) wait_for "$FLEET_RESTRICTED_NS ServiceAccount" 120 "${k[@]}" -n "$FLEET_RESTRICTED_NS" get sa default ;;
    esac
}

# fleet_cluster NAME PORT [restricted]: one cluster of the fleet, up; adds
# its entries to the caller's fk_clusters, fk_users, fk_contexts, fleet_env.
fleet_cluster() {
    local name="$1" P_API="$2" restricted="${3:-}"
    local C="$D/clusters/$1" CN="$1." ETCD_PREFIX="/$1/registry"
    local NODE_MAIN="$1-node" NODE_CRIO="" NODE_CACHE="" EXTRA_TOKENS="" restricted_tok=""
    local letter="${name#fleet-}"
    letter="${letter^^}"
    if [ -n "$restricted" ]; then
        restricted_tok="$(openssl rand -hex 16)"
        EXTRA_TOKENS="$restricted_tok,$FLEET_RESTRICTED_USER,uid-fleet-restricted"
    fi
    gen_pki_cluster "$C/pki" "pulltui-$name-ca"
    # The shared files too, so that C/pki is laid out as a single harness's
    # (tests read PULLTUI_HARNESS_DIR/pki/registry-selfsigned.crt, ...).
    local f
    for f in "$D"/pki/*; do
        [ -e "$C/pki/${f##*/}" ] || ln -s "$f" "$C/pki/${f##*/}"
    done
    local admin_tok viewer_tok team_tok kcm_tok node_tok sched_tok crio_tok cache_tok
    cluster_tokens
    cluster_node_root
    cluster_apiserver
    cluster_kubeconfigs
    cluster_kcm
    cluster_setup
    [ -z "$restricted" ] || fleet_restrict
    cluster_env
    cluster_sims
    log "$name: https://127.0.0.1:$P_API (etcd prefix $ETCD_PREFIX) up at $((SECONDS - t0))s"

    fk_clusters+="- name: $name
  cluster:
    server: https://127.0.0.1:$P_API
    certificate-authority-data: $(base64 -w0 "$C/pki/ca.crt")
"
    if [ -n "$restricted" ]; then
        fk_users+="- name: $name-restricted
  user:
    token: $restricted_tok
"
        fk_contexts+="- name: $name
  context: {cluster: $name, user: $name-restricted, namespace: $FLEET_RESTRICTED_NS}
"
    else
        fk_users+="- name: $name-admin
  user:
    token: $admin_tok
"
        fk_contexts+="- name: $name
  context: {cluster: $name, user: $name-admin, namespace: default}
"
    fi
    fleet_env+="export PULLTUI_FLEET_${letter}_CONTEXT=$name
export PULLTUI_FLEET_${letter}_ENV=$C/env
export PULLTUI_FLEET_${letter}_SERVER=https://127.0.0.1:$P_API
export PULLTUI_FLEET_${letter}_ETCD_PREFIX=$ETCD_PREFIX
export PULLTUI_FLEET_${letter}_NODE=$NODE_MAIN
"
}

cmd_fleet_up() {
    local dir="$1"; shift
    local K8S="$K8S_DEFAULT" n=3
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || die "fleet-up: $1 needs a value"
        case "$1" in
            --k8s) K8S="$2" ;;
            --clusters) n="$2" ;;
            *) die "fleet-up: unknown option $1" ;;
        esac
        shift 2
    done
    case " ${K8S_VERSIONS[*]} " in *" $K8S "*) ;; *) die "fleet-up --k8s: one of ${K8S_VERSIONS[*]}" ;; esac
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le ${#FLEET_LETTERS} ] \
        || die "fleet-up --clusters: 1 to ${#FLEET_LETTERS}"
    D="$(mkdir -p "$dir" && cd "$dir" && pwd)"
    ! harness_running || die "a harness is already running in $D (run: $0 down $D)"
    local bin git_version etcd
    up_binaries
    mkdir -p "$D/pids" "$D/logs" "$D/pki" "$D/clusters"
    local t0=$SECONDS
    RECORD_CMDS=1
    # From here on, a failure tears down whatever was started.
    trap up_failed EXIT

    local ports
    read -r -a ports <<<"$("$PY" "$AUX" free-ports $((16 + n)))"
    local P_ETCD=${ports[0]} P_PEER=${ports[1]} P_SELF=${ports[2]} P_HTTP=${ports[3]}
    local P_AUTH=${ports[4]} P_BLACK=${ports[5]} P_CLOSED=${ports[6]} P_DNS=${ports[7]}
    local P_TOKREG=${ports[8]} P_TOKSRV=${ports[9]} P_WEBHOOK=${ports[10]} P_STALL=${ports[11]}
    local P_BLOBHOST=${ports[12]} P_BLOBFRONT=${ports[13]} P_BLOBDEAD=${ports[14]} P_HEAD405=${ports[15]}
    local NODE_DNS="127.53.$((P_DNS / 256 % 256)).$((P_DNS % 256))"

    # Shared: registries, DNS, token server, webhook (its own CA: each
    # cluster's CA is the cluster's), etcd.
    (cd "$D/pki" && pki_ca webhook-ca pulltui-fleet-webhook-ca)
    gen_pki_shared "$D/pki" webhook-ca
    local WEBHOOK_CA="$D/pki/webhook-ca.crt"
    local reg_pass tok_pass noscope_pass
    registry_secrets
    local INJECT_IMAGE
    start_shared
    wait_for etcd 60 curl -fsS "http://127.0.0.1:$P_ETCD/health"
    wait_registries
    push_images

    local i name contexts="" fk_clusters="" fk_users="" fk_contexts="" fleet_env=""
    for ((i = 0; i < n; i++)); do
        name="fleet-${FLEET_LETTERS:i:1}"
        contexts+="${contexts:+,}$name"
        fleet_cluster "$name" "${ports[16 + i]}" "$([ "$i" -eq $((n - 1)) ] && echo restricted)"
    done
    local last="$name"

    umask 077
    cat >"$D/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
${fk_clusters}users:
${fk_users}contexts:
${fk_contexts}current-context: fleet-a
EOF
    umask 022
    {
        cat <<EOF
export PULLTUI_FLEET_DIR=$D
export PULLTUI_FLEET_CTL=$SELF_DIR/test-cluster
export PULLTUI_K8S_VERSION=$K8S
export PULLTUI_K8S_GIT_VERSION=$git_version
export KUBECONFIG=$D/kubeconfig
export PULLTUI_FLEET_CONTEXTS=$contexts
export PULLTUI_FLEET_RESTRICTED_CONTEXT=$last
export PULLTUI_FLEET_RESTRICTED_NS=$FLEET_RESTRICTED_NS
export PULLTUI_FLEET_RESTRICTED_USER=$FLEET_RESTRICTED_USER
export PULLTUI_FLEET_ETCD=http://127.0.0.1:$P_ETCD
EOF
        printf '%s' "$fleet_env"
    } >"$D/env"
    all_alive || { log "a process of the fleet died"; false; }
    trap - EXIT
    log "fleet of $n up in $((SECONDS - t0))s (contexts $contexts; $last restricted to namespace $FLEET_RESTRICTED_NS): source $D/env"
}

# fleet_member DIR CONTEXT: sets D, and the caller's name and C.
fleet_member() {
    [ -d "$1" ] || die "no harness dir $1"
    D="$(cd "$1" && pwd)"
    [ -n "$2" ] && [ -d "$D/clusters/$2" ] \
        || die "$2: not a cluster of the fleet in $D (clusters: $(ls "$D/clusters" 2>/dev/null | tr '\n' ' '))"
    name="$2"
    C="$D/clusters/$2"
}

# restart NAME: start NAME again with its recorded command, appending to its log.
restart() {
    local argv=()
    [ -f "$D/cmds/$1" ] || die "no recorded command for $1 in $D/cmds"
    mapfile -d '' -t argv <"$D/cmds/$1"
    printf '[test-cluster] ---- started again at %s\n' "$(date -u +%FT%TZ)" >>"$D/logs/$1.log"
    START_APPEND=1 start "$1" "${argv[@]}"
}

# fleet-stop DIR CONTEXT: that cluster's API server stops (its process group
# is gone and its port refuses connections); its controller manager and
# node keep running, as they would on a real cluster, and etcd keeps its data.
cmd_fleet_stop() {
    local name C
    fleet_member "$1" "$2"
    local api="$name.kube-apiserver" server pid
    server="$(env_value "$C/env" PULLTUI_API_SERVER)"
    if ! alive "$api"; then
        [ -f "$D/pids/$api.stopped" ] && { log "$name: API server already stopped"; return 0; }
        die "$name: its API server is not running (see $D/logs/$api.log)"
    fi
    pid="$(cat "$D/pids/$api.pid")"
    # It stops listening at once, then drains its watches for longer than
    # a test wants to wait: 3 s, then KILL (an outage either way).
    STOP_GRACE=3 stop_groups "$pid"
    ! pgrep -g "$pid" >/dev/null 2>&1 || die "$name: API server (process group $pid) still running"
    rm -f "$D/pids/$api.pid"
    date -u +%FT%TZ >"$D/pids/$api.stopped"
    local rc=0
    curl -sk --max-time 5 -o /dev/null "$server/version" || rc=$?
    # curl's exit status 7: could not connect.
    [ "$rc" -eq 7 ] || die "$name: $server still answers (curl exit status $rc) after its API server stopped"
    log "$name: API server stopped; $server refuses connections"
}

# fleet-start DIR CONTEXT: the API server again, same port, same etcd prefix
# (same objects); returns once /readyz answers. Its controller manager starts
# again too (client-go's informers take minutes to find a restarted server:
# a namespace created meanwhile would get no ServiceAccount), and its node if
# it had exited.
cmd_fleet_start() {
    local name C
    fleet_member "$1" "$2"
    local api="$name.kube-apiserver" server admin_tok t0=$SECONDS
    server="$(env_value "$C/env" PULLTUI_API_SERVER)"
    admin_tok="$(awk -F, '$2 == "pulltui-admin" {print $1}' "$C/pki/tokens.csv")"
    if alive "$api"; then
        log "$name: API server already running"
    else
        restart "$api"
    fi
    if ! wait_for "$api/readyz" 120 curl -fsS --cacert "$C/pki/ca.crt" \
        -H "Authorization: Bearer $admin_tok" "$server/readyz"; then
        tail -n 15 "$D/logs/$api.log" >&2
        die "$name: API server did not come back (log: $D/logs/$api.log)"
    fi
    rm -f "$D/pids/$api.stopped"
    local kcm="$name.kube-controller-manager"
    if alive "$kcm"; then
        STOP_GRACE=5 stop_groups "$(cat "$D/pids/$kcm.pid")"
        rm -f "$D/pids/$kcm.pid"
    fi
    restart "$kcm"
    local f n
    for f in "$D/cmds/$name".*; do
        [ -f "$f" ] || continue
        n="$(basename "$f")"
        [ "$n" = "$api" ] || alive "$n" || { log "$n had exited; starting it again"; restart "$n"; }
    done
    log "$name: API server back on $server in $((SECONDS - t0))s"
}
