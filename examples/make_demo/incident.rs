//! The demo incident (`pulltui --demo`): one Monday morning on a TKE
//! serverless cluster, built as a snapshot. Messages use the wording kubelet
//! and containerd really print (see shared/corpus); hosts, IPs and names are
//! the story's. Deterministic: the same input gives the same file, which a
//! test compares with `assets/demo.yaml`.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Event, Pod, ServiceAccount};
use kube::api::DynamicObject;
use pulltui::domain::scope::Scope;
use pulltui::domain::secrets::{AuthKey, SecretInfo};
use pulltui::snapshot::format::{
    KIND, PullSecret, ReadKind, ReadOutcome, Snapshot, Unread, VERSION,
};
use serde_json::{Value, json};

#[path = "probes.rs"]
mod probes;

const CAPTURED: &str = "2026-11-30T09:42:00Z";
const TKE_NODE: &str = "eklet-subnet-5kq2x7mf-0";

fn at(minutes_before: i64) -> Timestamp {
    let t: Timestamp = CAPTURED.parse().unwrap_or(Timestamp::UNIX_EPOCH);
    t - SignedDuration::from_secs(minutes_before * 60)
}

fn ts(minutes_before: i64) -> String {
    at(minutes_before)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A short, stable pseudo-hash for generated names.
fn hash(seed: &str, len: usize) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u64 = 1469598103934665603;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(1099511628211);
    }
    (0..len)
        .map(|i| {
            let x = (h >> ((i * 5) % 60)) as usize ^ (i * 7);
            ALPHA[x % ALPHA.len()] as char
        })
        .collect()
}

fn uid(seed: &str) -> String {
    let h = hash(seed, 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("demo object: {e}"))
}

/// The fully qualified reference containerd prints for an image.
fn full(image: &str) -> String {
    let first = image.split('/').next().unwrap_or("");
    let has_host =
        image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let named = image.to_string();
    if has_host {
        named
    } else if image.contains('/') {
        format!("docker.io/{named}")
    } else {
        format!("docker.io/library/{named}")
    }
}

/// `Head "https://HOST/v2/REPO/manifests/TAG"` for a full reference.
fn head_url(full: &str) -> String {
    let (host, rest) = full.split_once('/').unwrap_or((full, ""));
    let host = if host == "docker.io" {
        "registry-1.docker.io"
    } else {
        host
    };
    let (repo, tag) = rest.rsplit_once(':').unwrap_or((rest, "latest"));
    format!("https://{host}/v2/{repo}/manifests/{tag}")
}

/// containerd's resolve failure, wrapped the way kubelet reports it.
fn resolve_failure(image: &str, inner: &str) -> String {
    let f = full(image);
    format!(
        "Failed to pull image \"{image}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{f}\": failed to resolve reference \"{f}\": {inner}"
    )
}

fn request_failure(image: &str, cause: &str) -> String {
    let f = full(image);
    resolve_failure(
        image,
        &format!("failed to do request: Head \"{}\": {cause}", head_url(&f)),
    )
}

struct Failure {
    /// The cause-carrying `Failed` event message.
    message: String,
    /// Waiting reason shown now.
    reason: &'static str,
    /// Pull attempts so far.
    attempts: i32,
    /// Extra warning events (kubelet's pull-secret warning).
    secret_warning: Option<String>,
}

struct PodSpec<'a> {
    ns: &'a str,
    name: String,
    owner: Option<(&'a str, &'a str, String)>,
    container: &'a str,
    image: &'a str,
    sa: &'a str,
    secrets: &'a [&'a str],
    node: &'a str,
    age_min: i64,
    labels: Value,
    pull_policy: &'a str,
}

#[derive(Default)]
pub struct Builder {
    pods: Vec<Pod>,
    events: Vec<Event>,
    owners: Vec<DynamicObject>,
    healthy: Vec<String>,
    service_accounts: Vec<ServiceAccount>,
    secrets: Vec<PullSecret>,
    unread: Vec<Unread>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        p: &PodSpec<'_>,
        pod_uid: &str,
        reason: &str,
        ty: &str,
        msg: &str,
        first: i64,
        last: i64,
        count: i32,
    ) {
        let name = format!(
            "{}.{}",
            p.name,
            hash(&format!("{}{reason}{msg}", p.name), 16)
        );
        self.events.push(from(json!({
            "metadata": {"name": name, "namespace": p.ns, "uid": uid(&name),
                          "resourceVersion": format!("{}", 70000 + self.events.len())},
            "involvedObject": {"kind": "Pod", "namespace": p.ns, "name": p.name, "uid": pod_uid,
                               "apiVersion": "v1",
                               "fieldPath": format!("spec.containers{{{}}}", p.container)},
            "reason": reason, "type": ty, "message": msg, "count": count,
            "firstTimestamp": ts(first), "lastTimestamp": ts(last),
            "source": {"component": "kubelet", "host": p.node},
        })));
    }

    fn failing_pod(&mut self, p: PodSpec<'_>, f: Failure) {
        let pod_uid = uid(&format!("{}/{}", p.ns, p.name));
        let owner_refs = p.owner.as_ref().map(|(api, kind, name)| {
            json!([{"apiVersion": api, "kind": kind, "name": name, "uid": uid(&format!("{}/{kind}/{name}", p.ns)),
                    "controller": true, "blockOwnerDeletion": true}])
        });
        let waiting_message = match f.reason {
            "ImagePullBackOff" => format!("Back-off pulling image \"{}\"", p.image),
            _ => f.message.clone(),
        };
        let secrets: Vec<Value> = p.secrets.iter().map(|s| json!({"name": s})).collect();
        let mut meta = json!({
            "name": p.name, "namespace": p.ns, "uid": pod_uid,
            "resourceVersion": format!("{}", 50000 + self.pods.len()),
            "creationTimestamp": ts(p.age_min), "labels": p.labels,
        });
        if let Some(r) = owner_refs {
            meta["ownerReferences"] = r;
        }
        let mut spec = json!({
            "containers": [{"name": p.container, "image": p.image, "imagePullPolicy": p.pull_policy}],
            "serviceAccountName": p.sa, "nodeName": p.node, "restartPolicy": "Always",
        });
        if !secrets.is_empty() {
            spec["imagePullSecrets"] = Value::Array(secrets);
        }
        self.pods.push(from(json!({
            "metadata": meta,
            "spec": spec,
            "status": {
                "phase": "Pending", "startTime": ts(p.age_min),
                "conditions": [{"type": "PodScheduled", "status": "True"}],
                "containerStatuses": [{
                    "name": p.container, "image": p.image, "imageID": "", "ready": false,
                    "restartCount": 0, "started": false,
                    "state": {"waiting": {"reason": f.reason, "message": waiting_message}},
                }],
            },
        })));
        let first = p.age_min - 1;
        self.event(
            &p,
            &pod_uid,
            "Scheduled",
            "Normal",
            &format!("Successfully assigned {}/{} to {}", p.ns, p.name, p.node),
            p.age_min,
            p.age_min,
            1,
        );
        if let Some(w) = &f.secret_warning {
            self.event(
                &p,
                &pod_uid,
                "FailedToRetrieveImagePullSecret",
                "Warning",
                w,
                first,
                1,
                f.attempts * 3,
            );
        }
        if f.reason == "InvalidImageName" {
            self.event(
                &p,
                &pod_uid,
                "InspectFailed",
                "Warning",
                &f.message,
                first,
                0,
                f.attempts,
            );
            self.event(
                &p,
                &pod_uid,
                "Failed",
                "Warning",
                "Error: InvalidImageName",
                first,
                0,
                f.attempts,
            );
            return;
        }
        if f.reason == "ErrImageNeverPull" {
            self.event(
                &p,
                &pod_uid,
                "ErrImageNeverPull",
                "Warning",
                &f.message,
                first,
                0,
                f.attempts,
            );
            self.event(
                &p,
                &pod_uid,
                "Failed",
                "Warning",
                "Error: ErrImageNeverPull",
                first,
                0,
                f.attempts,
            );
            return;
        }
        self.event(
            &p,
            &pod_uid,
            "Pulling",
            "Normal",
            &format!("Pulling image \"{}\"", p.image),
            first,
            2,
            f.attempts,
        );
        self.event(
            &p, &pod_uid, "Failed", "Warning", &f.message, first, 2, f.attempts,
        );
        self.event(
            &p,
            &pod_uid,
            "Failed",
            "Warning",
            "Error: ErrImagePull",
            first,
            2,
            f.attempts,
        );
        self.event(
            &p,
            &pod_uid,
            "BackOff",
            "Normal",
            &format!("Back-off pulling image \"{}\"", p.image),
            first,
            0,
            f.attempts * 4,
        );
        self.event(
            &p,
            &pod_uid,
            "Failed",
            "Warning",
            "Error: ImagePullBackOff",
            first,
            0,
            f.attempts * 4,
        );
    }

    fn template(
        image: &str,
        container: &str,
        secrets: &[&str],
        annotations: Value,
        app: &str,
    ) -> Value {
        let mut spec = json!({"containers": [{"name": container, "image": image}]});
        if !secrets.is_empty() {
            spec["imagePullSecrets"] =
                Value::Array(secrets.iter().map(|s| json!({"name": s})).collect());
        }
        json!({"metadata": {"labels": {"app": app}, "annotations": annotations}, "spec": spec})
    }

    fn owner(
        &mut self,
        api: &str,
        kind: &str,
        ns: &str,
        name: &str,
        owner: Option<(&str, &str, &str)>,
        spec: Value,
    ) {
        let mut meta = json!({"name": name, "namespace": ns, "uid": uid(&format!("{ns}/{kind}/{name}")),
                              "resourceVersion": format!("{}", 30000 + self.owners.len()),
                              "creationTimestamp": ts(300)});
        if let Some((oapi, okind, oname)) = owner {
            meta["ownerReferences"] = json!([{"apiVersion": oapi, "kind": okind, "name": oname,
                "uid": uid(&format!("{ns}/{okind}/{oname}")), "controller": true, "blockOwnerDeletion": true}]);
        }
        self.owners.push(from(
            json!({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}),
        ));
    }

    /// A Deployment with its ReplicaSet and `failing` pods (plus healthy ones).
    #[allow(clippy::too_many_arguments)]
    fn deployment(
        &mut self,
        ns: &str,
        name: &str,
        image: &str,
        secrets: &[&str],
        annotations: Value,
        failing: usize,
        healthy: usize,
        age_min: i64,
        failure: &dyn Fn() -> Failure,
    ) {
        let rs = format!(
            "{name}-{}",
            hash(&format!("{ns}{name}{image}"), 9).to_lowercase()
        );
        let tpl = Self::template(image, name, secrets, annotations, name);
        self.owner("apps/v1", "Deployment", ns, name, None,
            json!({"replicas": failing + healthy, "selector": {"matchLabels": {"app": name}}, "template": tpl.clone(),
                   "strategy": {"type": "RollingUpdate"}}));
        self.owner("apps/v1", "ReplicaSet", ns, &rs, Some(("apps/v1", "Deployment", name)),
            json!({"replicas": failing + healthy, "selector": {"matchLabels": {"app": name}}, "template": tpl}));
        for i in 0..failing {
            let pod = format!("{rs}-{}", hash(&format!("{rs}{i}"), 5).to_lowercase());
            self.failing_pod(
                PodSpec {
                    ns,
                    name: pod,
                    owner: Some(("apps/v1", "ReplicaSet", rs.clone())),
                    container: name,
                    image,
                    sa: "default",
                    secrets,
                    node: TKE_NODE,
                    age_min: age_min - i as i64,
                    labels: json!({"app": name}),
                    pull_policy: "IfNotPresent",
                },
                failure(),
            );
        }
        for i in 0..healthy {
            self.healthy.push(format!(
                "{ns}/{rs}-{}",
                hash(&format!("{rs}h{i}"), 5).to_lowercase()
            ));
        }
    }

    fn healthy_pods(&mut self, ns: &str, app: &str, n: usize) {
        let rs = hash(&format!("{ns}{app}"), 9).to_lowercase();
        for i in 0..n {
            self.healthy.push(format!(
                "{ns}/{app}-{rs}-{}",
                hash(&format!("{app}{i}"), 5).to_lowercase()
            ));
        }
    }

    fn service_account(&mut self, ns: &str, name: &str, secrets: &[&str]) {
        let mut sa = json!({"metadata": {"name": name, "namespace": ns, "uid": uid(&format!("{ns}/sa/{name}"))},
                            "secrets": [{"name": format!("{name}-token-{}", hash(ns, 5).to_lowercase())}]});
        if !secrets.is_empty() {
            sa["imagePullSecrets"] =
                Value::Array(secrets.iter().map(|s| json!({"name": s})).collect());
        }
        self.service_accounts.push(from(sa));
    }

    fn pull_secret(&mut self, ns: &str, name: &str, host: &str, user: &str) {
        self.secrets.push(PullSecret {
            namespace: ns.into(),
            name: name.into(),
            info: SecretInfo::Parsed {
                entries: vec![AuthKey {
                    key: host.into(),
                    normalized: pulltui::domain::secrets::normalize_key(host),
                    username: Some(user.into()),
                    expiry: None,
                }],
            },
        });
    }
}

pub fn incident() -> Snapshot {
    let mut b = Builder::default();
    let tcr = "shopreg.tencentcloudcr.com";

    // shop: the TCR instance is dialled on its public IP: no private link.
    let web = format!("{tcr}/shop/web:2.14.0");
    b.deployment(
        "shop",
        "web",
        &web,
        &["tcr-pull"],
        json!({}),
        3,
        5,
        38,
        &|| Failure {
            message: request_failure(
                &format!("{tcr}/shop/web:2.14.0"),
                "dial tcp 43.137.1.5:443: i/o timeout",
            ),
            reason: "ImagePullBackOff",
            attempts: 9,
            secret_warning: None,
        },
    );
    let cart = format!("{tcr}/shop/cart:5.3.1");
    b.deployment(
        "shop",
        "cart",
        &cart,
        &["tcr-pull"],
        json!({}),
        2,
        4,
        37,
        &|| Failure {
            message: request_failure(
                &format!("{tcr}/shop/cart:5.3.1"),
                "dial tcp 43.137.1.5:443: i/o timeout",
            ),
            reason: "ImagePullBackOff",
            attempts: 8,
            secret_warning: None,
        },
    );
    // A private DNS zone the cluster's VPC does not have.
    let search = "registry.internal.shop.example:5000/search/api:1.9.2";
    b.deployment("shop", "search", search, &[], json!({}), 1, 2, 35, &|| {
        Failure {
            message: request_failure(
                search,
                "dial tcp: lookup registry.internal.shop.example on 169.254.20.10:53: no such host",
            ),
            reason: "ImagePullBackOff",
            attempts: 8,
            secret_warning: None,
        }
    });
    // Self-signed Harbor: the TKE skip-verify annotation fixes it.
    let checkout = "harbor.shop.example/shop/checkout:3.2.0";
    b.deployment(
        "shop",
        "checkout",
        checkout,
        &[],
        json!({"prometheus.io/scrape": "true"}),
        2,
        3,
        33,
        &|| Failure {
            message: request_failure(
                checkout,
                "tls: failed to verify certificate: x509: certificate signed by unknown authority",
            ),
            reason: "ErrImagePull",
            attempts: 7,
            secret_warning: None,
        },
    );
    // A plain-HTTP registry with a port: the http-endpoint annotation fixes it.
    let ledger = "10.0.8.20:5000/fin/ledger:0.9.3";
    b.owner(
        "apps/v1",
        "StatefulSet",
        "shop",
        "ledger",
        None,
        json!({
        "replicas": 1, "serviceName": "ledger", "podManagementPolicy": "OrderedReady",
        "selector": {"matchLabels": {"app": "ledger"}},
        "template": Builder::template(ledger, "ledger", &[], json!({}), "ledger")}),
    );
    b.failing_pod(
        PodSpec {
            ns: "shop",
            name: "ledger-0".into(),
            owner: Some(("apps/v1", "StatefulSet", "ledger".into())),
            container: "ledger",
            image: ledger,
            sa: "default",
            secrets: &[],
            node: TKE_NODE,
            age_min: 31,
            labels: json!({"app": "ledger"}),
            pull_policy: "IfNotPresent",
        },
        Failure {
            message: request_failure(ledger, "http: server gave HTTP response to HTTPS client"),
            reason: "ImagePullBackOff",
            attempts: 7,
            secret_warning: None,
        },
    );
    // A legacy registry that is up but not listening on 443.
    let reports = "registry.legacy.shop.example/reports/render:2.0.4";
    b.deployment(
        "shop",
        "reports",
        reports,
        &[],
        json!({}),
        1,
        0,
        29,
        &|| Failure {
            message: request_failure(
                reports,
                "dial tcp 10.0.9.14:443: connect: connection refused",
            ),
            reason: "ImagePullBackOff",
            attempts: 6,
            secret_warning: None,
        },
    );
    b.healthy_pods("shop", "frontend-gateway", 60);
    b.healthy_pods("shop", "inventory", 42);
    b.healthy_pods("shop", "recommendations", 30);
    b.service_account("shop", "default", &[]);
    b.pull_secret("shop", "tcr-pull", tcr, "100012345678");

    // payments: a new namespace; the pull secret exists only in `shop`.
    let pay = format!("{tcr}/pay/api:5.1.0");
    b.deployment("payments", "payments-api", &pay, &["tcr-pull"], json!({}), 2, 0, 22, &|| Failure {
        message: resolve_failure(&format!("{tcr}/pay/api:5.1.0"),
            &format!("pulling from host {tcr} failed with status code [manifests 5.1.0]: 401 Unauthorized")),
        reason: "ImagePullBackOff", attempts: 6,
        secret_warning: Some("Unable to retrieve some image pull secrets (tcr-pull); attempting to pull the image may not succeed.".into()),
    });
    b.unread.push(Unread {
        kind: ReadKind::Secret,
        namespace: "payments".into(),
        name: "tcr-pull".into(),
        outcome: ReadOutcome::Missing,
        message: String::new(),
    });
    b.service_account("payments", "default", &[]);
    // A CronJob whose secret is for Docker Hub, not GHCR.
    let settle = "ghcr.io/acme-shop/settle:1.2.0";
    b.owner("batch/v1beta1", "CronJob", "payments", "settle", None, json!({
        "schedule": "*/30 * * * *",
        "jobTemplate": {"spec": {"template": Builder::template(settle, "settle", &["regcred"], json!({}), "settle")}}}));
    b.owner("batch/v1", "Job", "payments", "settle-29405160", Some(("batch/v1beta1", "CronJob", "settle")), json!({
        "backoffLimit": 6, "template": Builder::template(settle, "settle", &["regcred"], json!({}), "settle")}));
    b.failing_pod(PodSpec { ns: "payments", name: "settle-29405160-x7k2p".into(),
        owner: Some(("batch/v1", "Job", "settle-29405160".into())), container: "settle", image: settle,
        sa: "default", secrets: &["regcred"], node: TKE_NODE, age_min: 12,
        labels: json!({"job-name": "settle-29405160"}), pull_policy: "IfNotPresent" }, Failure {
        message: resolve_failure(settle, "failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme-shop%2Fsettle%3Apull&service=ghcr.io: 401 Unauthorized"),
        reason: "ImagePullBackOff", attempts: 4, secret_warning: None });
    b.pull_secret(
        "payments",
        "regcred",
        "https://index.docker.io/v1/",
        "acmebuild",
    );
    b.healthy_pods("payments", "ledger-sync", 24);

    // data: cross-account ECR, and a typo'd tag.
    let etl = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/data/etl:7.0.1";
    b.deployment("data", "etl", etl, &[], json!({}), 2, 1, 27, &|| Failure {
        message: format!("Failed to pull image \"{etl}\": rpc error: code = Unknown desc = Error response from daemon: pull access denied for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/data/etl, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::210987654321:assumed-role/eks-nodegroup-role/i-0a1b2c3d4e5f67890 is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:123456789012:repository/data/etl because no resource-based policy allows the ecr:BatchGetImage action"),
        reason: "ImagePullBackOff", attempts: 7, secret_warning: None,
    });
    let backfill = "quay.io/acme-shop/backfill:v2.3.O";
    b.owner("batch/v1", "Job", "data", "backfill-orders", None, json!({
        "backoffLimit": 4, "template": Builder::template(backfill, "backfill", &[], json!({}), "backfill")}));
    b.failing_pod(PodSpec { ns: "data", name: "backfill-orders-9wz4t".into(),
        owner: Some(("batch/v1", "Job", "backfill-orders".into())), container: "backfill", image: backfill,
        sa: "default", secrets: &[], node: TKE_NODE, age_min: 19, labels: json!({"job-name": "backfill-orders"}),
        pull_policy: "IfNotPresent" }, Failure {
        message: format!("Failed to pull image \"{backfill}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{backfill}\": failed to resolve reference \"{backfill}\": {backfill}: not found"),
        reason: "ImagePullBackOff", attempts: 5, secret_warning: None });
    b.healthy_pods("data", "warehouse-loader", 36);
    b.healthy_pods("data", "kafka-connect", 18);
    b.service_account("data", "default", &[]);

    // monitoring: Docker Hub's limit, an amd64-only image on the arm64 node,
    // and a registry having a bad day.
    let blackbox = "prom/blackbox-exporter:v0.25.0";
    b.deployment("monitoring", "blackbox-exporter", blackbox, &[], json!({}), 1, 0, 16, &|| Failure {
        message: format!("Failed to pull image \"{blackbox}\": rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/prom/blackbox-exporter:v0.25.0\": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/prom/blackbox-exporter/manifests/sha256:b04a9fef4fa086a02fc7fcd8dcdbc4b7b35cc30cdee860fdc6a19dd8b208d63e: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"),
        reason: "ImagePullBackOff", attempts: 5, secret_warning: None,
    });
    let shipper = "docker.io/acmeshop/log-shipper:4.0.0";
    b.owner(
        "apps/v1",
        "DaemonSet",
        "monitoring",
        "log-shipper",
        None,
        json!({
        "selector": {"matchLabels": {"app": "log-shipper"}},
        "template": Builder::template(shipper, "log-shipper", &[], json!({}), "log-shipper")}),
    );
    b.failing_pod(PodSpec { ns: "monitoring", name: "log-shipper-m4q8d".into(),
        owner: Some(("apps/v1", "DaemonSet", "log-shipper".into())), container: "log-shipper", image: shipper,
        sa: "default", secrets: &[], node: "node-arm64-1", age_min: 40, labels: json!({"app": "log-shipper"}),
        pull_policy: "IfNotPresent" }, Failure {
        message: format!("Failed to pull image \"{shipper}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{shipper}\": no match for platform in manifest: not found"),
        reason: "ImagePullBackOff", attempts: 9, secret_warning: None });
    for i in 0..3 {
        b.healthy.push(format!(
            "monitoring/log-shipper-{}",
            hash(&format!("ls{i}"), 5).to_lowercase()
        ));
    }
    let ksm = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0";
    b.deployment("monitoring", "kube-state-metrics", ksm, &[], json!({}), 1, 0, 8, &|| Failure {
        message: resolve_failure(ksm, "unexpected status from HEAD request to https://registry.k8s.io/v2/kube-state-metrics/kube-state-metrics/manifests/v2.13.0: 503 Service Unavailable"),
        reason: "ImagePullBackOff", attempts: 3, secret_warning: None,
    });
    b.healthy_pods("monitoring", "prometheus", 4);
    b.healthy_pods("monitoring", "grafana", 2);
    b.service_account("monitoring", "default", &[]);

    // default: a node out of disk, a typo that does not even parse, a dev pod
    // that may never pull.
    let busybox = "busybox:1.36";
    b.failing_pod(PodSpec { ns: "default", name: "debug-shell".into(), owner: None, container: "shell",
        image: busybox, sa: "default", secrets: &[], node: "node-amd64-3", age_min: 14,
        labels: json!({"run": "debug-shell"}), pull_policy: "IfNotPresent" }, Failure {
        message: format!("Failed to pull image \"{busybox}\": rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/busybox:1.36\": failed to extract layer sha256:3d2af5f613c5e6f7b4e4a7e9b9b7fbe1c3a6f1a8f1b2c3d4e5f60718293a4b5c: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/412/fs/bin/busybox: no space left on device: unknown"),
        reason: "ImagePullBackOff", attempts: 4, secret_warning: None });
    let typo = "nginx:1.25:alpine";
    b.failing_pod(PodSpec { ns: "default", name: "nginx-canary".into(), owner: None, container: "nginx",
        image: typo, sa: "default", secrets: &[], node: "node-amd64-2", age_min: 11,
        labels: json!({"run": "nginx-canary"}), pull_policy: "IfNotPresent" }, Failure {
        message: format!("Failed to apply default image tag \"{typo}\": couldn't parse image reference \"{typo}\": invalid reference format"),
        reason: "InvalidImageName", attempts: 52, secret_warning: None });
    let tools = "localhost/dev/tools:latest";
    b.failing_pod(
        PodSpec {
            ns: "default",
            name: "dev-tools".into(),
            owner: None,
            container: "tools",
            image: tools,
            sa: "default",
            secrets: &[],
            node: "node-amd64-2",
            age_min: 9,
            labels: json!({"run": "dev-tools"}),
            pull_policy: "Never",
        },
        Failure {
            message: format!(
                "Container image \"{tools}\" is not present with pull policy of Never"
            ),
            reason: "ErrImageNeverPull",
            attempts: 41,
            secret_warning: None,
        },
    );
    b.service_account("default", "default", &[]);

    b.healthy_pods("kube-system", "coredns", 2);
    b.healthy_pods("kube-system", "kube-proxy", 6);
    b.healthy_pods("kube-system", "csi-cbs-node", 6);
    b.healthy_pods("kube-system", "tke-monitor-agent", 6);
    b.healthy_pods("kube-system", "ip-masq-agent", 6);

    b.healthy.sort();
    let pods_seen = b.pods.len() + b.healthy.len();
    let mut namespaces: Vec<String> = [
        "default",
        "data",
        "kube-system",
        "monitoring",
        "payments",
        "shop",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    namespaces.sort();
    let probes = probes::recorded(&b.pods);
    let mut s = Snapshot {
        kind: KIND.into(),
        version: VERSION,
        contents: None,
        captured_at: at(0),
        pulltui_version: "demo".into(),
        context: Some("tke-prod-ap-guangzhou".into()),
        server: Some("https://cls-4b7hx2q9.ccs.tencent-cloud.com".into()),
        scope: Scope::All,
        default_namespace: Some("shop".into()),
        fallback: None,
        pods_seen,
        namespaces,
        healthy_pods: b.healthy,
        pods: b.pods,
        events: b.events,
        owners: b.owners,
        service_accounts: b.service_accounts,
        pull_secrets: b.secrets,
        unread: b.unread,
        last_errors: Vec::new(),
        probes,
        journal: Vec::new(),
        fixes: Vec::new(),
        changes: Vec::new(),
        end: None,
    };
    s.journal = journal(&s);
    s.changes = changes(&s.journal);
    s.sealed()
}

/// One more TKE cluster of the same account, as a snapshot: `web` and
/// `cart` of `shop` pull from the same registry instance; with `broken`,
/// its private link is gone here too (its public address times out).
fn sibling(context: &str, server: &str, broken: bool) -> Snapshot {
    let mut b = Builder::default();
    let tcr = "shopreg.tencentcloudcr.com";
    for (name, tag, failing, healthy, age) in
        [("web", "2.14.0", 2, 6, 36), ("cart", "5.3.1", 1, 4, 34)]
    {
        let image = format!("{tcr}/shop/{name}:{tag}");
        let failure = || Failure {
            message: request_failure(&image, "dial tcp 43.137.1.5:443: i/o timeout"),
            reason: "ImagePullBackOff",
            attempts: 8,
            secret_warning: None,
        };
        let (failing, healthy) = if broken {
            (failing, healthy)
        } else {
            (0, failing + healthy)
        };
        b.deployment(
            "shop",
            name,
            &image,
            &["tcr-pull"],
            json!({}),
            failing,
            healthy,
            age,
            &failure,
        );
    }
    b.healthy_pods("shop", "frontend-gateway", 24);
    b.healthy_pods("kube-system", "coredns", 2);
    b.healthy_pods("kube-system", "kube-proxy", 4);
    b.service_account("shop", "default", &[]);
    b.pull_secret("shop", "tcr-pull", tcr, "100012345678");
    b.healthy.sort();
    let mut s = Snapshot {
        kind: KIND.into(),
        version: VERSION,
        contents: None,
        captured_at: at(0),
        pulltui_version: "demo".into(),
        context: Some(context.into()),
        server: Some(server.into()),
        scope: Scope::All,
        default_namespace: Some("shop".into()),
        fallback: None,
        pods_seen: b.pods.len() + b.healthy.len(),
        namespaces: vec!["kube-system".into(), "shop".into()],
        healthy_pods: b.healthy,
        pods: b.pods,
        events: b.events,
        owners: b.owners,
        service_accounts: b.service_accounts,
        pull_secrets: b.secrets,
        unread: b.unread,
        last_errors: Vec::new(),
        probes: Vec::new(),
        journal: Vec::new(),
        fixes: Vec::new(),
        changes: Vec::new(),
        end: None,
    };
    s.journal = journal(&s);
    s.changes = changes(&s.journal);
    s.sealed()
}

/// The demo's other clusters (`assets/demo-fleet.yaml`): Shanghai, where
/// the registry's private link broke too, and Singapore, where it holds.
pub fn fleet() -> pulltui::snapshot::FleetSnapshot {
    let mut f = pulltui::snapshot::FleetSnapshot::new(vec![
        sibling(
            "tke-prod-ap-shanghai",
            "https://cls-7mq2k4zt.ccs.tencent-cloud.com",
            true,
        ),
        sibling(
            "tke-prod-ap-singapore",
            "https://cls-2xw9p6hd.ccs.tencent-cloud.com",
            false,
        ),
    ]);
    f.pulltui_version = "demo".into();
    f
}

/// The journal the console would have written while the incident grew: it
/// watched from 50 minutes before the capture, looked every minute, and saw
/// each pod start failing at the time the pod itself says (its rows, as
/// the replay reads them).
fn journal(s: &Snapshot) -> Vec<pulltui::domain::journal::Record> {
    use pulltui::domain::journal::{Record, Recorder};
    let rows = pulltui::snapshot::Recorded::new(s.clone()).report().rows;
    let start = s.captured_at - SignedDuration::from_secs(50 * 60);
    let mut out = vec![Record::Watching {
        at: start,
        context: s.context.clone().unwrap_or_default(),
        server: s.server.clone().unwrap_or_default(),
    }];
    let mut recorder = Recorder::default();
    for minute in 0..=50 {
        let now = start + SignedDuration::from_secs(minute * 60);
        let present = rows.iter().filter(|r| r.since.is_none_or(|t| t <= now));
        out.extend(recorder.observe(present, None, now));
    }
    out
}

/// What the cluster would have shown as changed before each group's first
/// failure: the rollout that put a missing image in place, the
/// ServiceAccount whose pull secrets were dropped — so the demo's
/// timeline and report have their "what changed".
fn changes(records: &[pulltui::domain::journal::Record]) -> Vec<pulltui::domain::changes::Change> {
    use pulltui::domain::changes::{Change, Kind};
    let mut out = Vec::new();
    for lane in pulltui::domain::journal::lanes(records) {
        let scope = pulltui::domain::postmortem::lane_scope(&lane, records);
        let Some(ns) = scope.namespaces.iter().next().cloned() else {
            continue;
        };
        let family = lane.group.cause.split('.').next().unwrap_or_default();
        let blank = Change {
            kind: Kind::Rollout,
            at: None,
            object: String::new(),
            namespace: Some(ns.clone()),
            registries: vec![lane.group.registry.clone()],
            images: Vec::new(),
            node: None,
            summary: String::new(),
            by: None,
        };
        let change = match family {
            "image" => {
                let Some(image) = scope.images.iter().next().cloned() else {
                    continue;
                };
                let last = image.rsplit('/').next().unwrap_or("app");
                let workload = last.split([':', '@']).next().unwrap_or("app");
                Change {
                    at: Some(lane.first - SignedDuration::from_secs(150)),
                    object: format!("Deployment {ns}/{workload}"),
                    images: vec![image.clone()],
                    summary: format!(
                        "Deployment {ns}/{workload} image {workload}:previous → {image}, revision 7"
                    ),
                    by: Some("kubectl-set".into()),
                    ..blank
                }
            }
            "auth" | "credentials" => Change {
                kind: Kind::ServiceAccount,
                at: Some(lane.first - SignedDuration::from_secs(240)),
                object: format!("ServiceAccount {ns}/default"),
                registries: Vec::new(),
                summary: format!(
                    "ServiceAccount {ns}/default imagePullSecrets written (now: none)"
                ),
                by: Some("helm".into()),
                ..blank
            },
            _ => continue,
        };
        out.push(change);
    }
    out
}
