//! One-shot reads of the session: may the scope be listed (the 403
//! fallback), namespaces, an owner's controller; what the app never reads
//! stripped from pods.

use super::*;

/// The outcome of trying to list pods in the requested scope.
pub enum ScopeCheck {
    Allowed,
    /// 403: the message from the API server.
    Forbidden(String),
}

/// Lists one pod to learn whether the scope is readable.
/// The scope a one-shot command (`check`, `snapshot`) lists: all
/// namespaces when allowed, else, on a 403, the context's namespace with
/// the server's message (the same fallback the console takes).
pub async fn resolve_scope(
    conn: &Connection,
    scope: Scope,
) -> Result<(Scope, Option<String>), String> {
    if scope != Scope::All {
        return Ok((scope, None));
    }
    match check_scope(&conn.client, &scope).await {
        Ok(ScopeCheck::Allowed) => Ok((scope, None)),
        Ok(ScopeCheck::Forbidden(m)) => {
            Ok((Scope::Namespace(conn.default_namespace.clone()), Some(m)))
        }
        Err(e) => Err(format!(
            "cannot reach {}: {}",
            conn.server,
            ApiError::from(&e)
        )),
    }
}

pub async fn check_scope(client: &Client, scope: &Scope) -> Result<ScopeCheck, kube::Error> {
    let api: Api<Pod> = scoped(client, scope);
    match api.list_metadata(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(ScopeCheck::Allowed),
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(ScopeCheck::Forbidden(s.message.clone())),
        Err(e) => Err(e),
    }
}

pub fn scoped<K>(client: &Client, scope: &Scope) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match scope {
        Scope::All => Api::all(client.clone()),
        Scope::Namespace(ns) => Api::namespaced(client.clone(), ns),
    }
}

/// Drops what the app never reads; keeps spec and status (we classify by them).
pub fn strip(pod: &mut Pod) {
    pod.managed_fields_mut().clear();
    pod.annotations_mut().remove(LAST_APPLIED);
}

/// Resolves a ReplicaSet's or Job's controller with a metadata GET.
pub async fn resolve_owner(client: &Client, key: &OwnerKey) -> OwnerLookup {
    let res = match key.kind.as_str() {
        "ReplicaSet" => Api::<ReplicaSet>::namespaced(client.clone(), &key.namespace)
            .get_metadata_opt(&key.name)
            .await
            .map(|m| m.map(|m| m.metadata.owner_references)),
        "Job" => Api::<Job>::namespaced(client.clone(), &key.namespace)
            .get_metadata_opt(&key.name)
            .await
            .map(|m| m.map(|m| m.metadata.owner_references)),
        _ => return OwnerLookup::Unknown,
    };
    match res {
        Ok(Some(refs)) => owner_lookup_from_refs(refs.as_deref()),
        // Gone: the pod's own reference is all there is.
        Ok(None) => OwnerLookup::NoOwner,
        Err(e) => {
            tracing::debug!(owner = ?key, error = %describe(&e), "owner lookup failed");
            OwnerLookup::Unknown
        }
    }
}

/// Namespace names (may be forbidden for namespaced users).
pub async fn list_namespaces(client: &Client) -> Result<Vec<String>, ApiError> {
    let api: Api<Namespace> = Api::all(client.clone());
    let list = api.list_metadata(&ListParams::default()).await?;
    Ok(list.items.into_iter().map(|n| n.name_any()).collect())
}
