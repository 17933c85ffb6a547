//! Read steps: one value from a Secret, ConfigMap or Service of the step's cluster becomes an
//! output that later steps use, across clusters (a plane's agent CA registered on the control
//! plane; the cluster gateway's load-balancer IP in every remote agent's server URL).
//!
//! Only public data travels between clusters: from a Secret, only the `ca.crt` key (a CA
//! certificate) is ever read; never `tls.key`, `tls.crt` or anything else. From a Service, only
//! its load-balancer IP (an endpoint).
//!
//! A dry run and a preview read the value too (reading changes nothing), so later steps see it
//! as a run would; a value that cannot be read yet is said so, and later steps keep its
//! placeholder.

use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::Api;

use super::{Change, Preview, StepDone, StepEnv, StepError};
use crate::engine::kube::{Cluster, describe};
use crate::plan::{PUBLIC_SECRET_KEY, ReadAction};

/// The only key a read step takes from a Service: the IP of its first load-balancer ingress.
pub const LOAD_BALANCER_IP_KEY: &str = "loadBalancerIP";

/// Reads `action`'s value; an object given without a namespace is looked for in `namespace`.
///
/// # Errors
///
/// [`StepError::Read`] when there is nothing (public) to read; [`StepError::Kube`] when the
/// cluster cannot answer. Both end the run as a partial failure (exit 3).
pub async fn run(
    env: &StepEnv<'_>,
    action: &ReadAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let value = read_value(env.cluster, action, namespace).await?;
    Ok(StepDone {
        output: Some(value),
        ..StepDone::default()
    })
}

/// A dry run's read: the value when it exists; otherwise a note that it is unknown in a dry run
/// (later steps keep its placeholder), and the run carries on.
pub async fn dry_run(env: &StepEnv<'_>, action: &ReadAction, namespace: Option<&str>) -> StepDone {
    match read_value(env.cluster, action, namespace).await {
        Ok(value) => StepDone {
            output: Some(value),
            ..StepDone::default()
        },
        Err(error) => StepDone {
            notes: vec![format!(
                "{error}: the value is unknown in a dry run; later steps keep its placeholder"
            )],
            ..StepDone::default()
        },
    }
}

/// A preview's read: `no-op` with the value when it can be read, else `install` (an earlier
/// step creates it) and no value.
pub async fn preview(env: &StepEnv<'_>, action: &ReadAction, namespace: Option<&str>) -> StepDone {
    match read_value(env.cluster, action, namespace).await {
        Ok(value) => StepDone {
            output: Some(value),
            ..Preview::new(Change::NoOp, "").into()
        },
        Err(error) => Preview::new(Change::Install, format!("not readable yet ({error})")).into(),
    }
}

/// The value `action` reads on `cluster` (what [`run`] outputs), changing nothing.
///
/// # Errors
///
/// [`StepError::Read`] when there is nothing (public) to read; [`StepError::Kube`] when the
/// cluster cannot answer.
pub async fn read_value(
    cluster: &Cluster,
    action: &ReadAction,
    namespace: Option<&str>,
) -> Result<String, StepError> {
    let resource = &action.resource;
    let namespace = resource
        .namespace
        .as_deref()
        .or(namespace)
        .unwrap_or(cluster.client().default_namespace())
        .to_owned();
    let object = describe(&resource.kind, Some(&namespace), &resource.name);
    let what = format!("{object} key {}", action.key);
    let failed = |reason: String| StepError::Read {
        what: what.clone(),
        reason,
    };
    let client = cluster.client().clone();
    let value = match (resource.api_version.as_str(), resource.kind.as_str()) {
        ("v1", "Secret") => {
            if action.key != PUBLIC_SECRET_KEY {
                return Err(failed(format!(
                    "only the public `{PUBLIC_SECRET_KEY}` of a Secret travels between clusters"
                )));
            }
            let secret = Api::<Secret>::namespaced(client, &namespace)
                .get_opt(&resource.name)
                .await
                .map_err(|e| cluster.api_error("reading", &object, e))?
                .ok_or_else(|| failed("it does not exist".into()))?;
            let bytes = secret
                .data
                .and_then(|mut data| data.remove(&action.key))
                .ok_or_else(|| failed("the key is missing".into()))?;
            String::from_utf8(bytes.0).map_err(|_| failed("the value is not text".into()))?
        }
        ("v1", "ConfigMap") => Api::<ConfigMap>::namespaced(client, &namespace)
            .get_opt(&resource.name)
            .await
            .map_err(|e| cluster.api_error("reading", &object, e))?
            .ok_or_else(|| failed("it does not exist".into()))?
            .data
            .and_then(|mut data| data.remove(&action.key))
            .ok_or_else(|| failed("the key is missing".into()))?,
        ("v1", "Service") => {
            if action.key != LOAD_BALANCER_IP_KEY {
                return Err(failed(format!(
                    "only `{LOAD_BALANCER_IP_KEY}` is read from a Service"
                )));
            }
            let service = Api::<Service>::namespaced(client, &namespace)
                .get_opt(&resource.name)
                .await
                .map_err(|e| cluster.api_error("reading", &object, e))?
                .ok_or_else(|| failed("it does not exist".into()))?;
            let ingress = service
                .status
                .and_then(|status| status.load_balancer)
                .and_then(|balancer| balancer.ingress)
                .unwrap_or_default();
            load_balancer_ip(&ingress).map_err(failed)?
        }
        _ => {
            return Err(failed(
                "only Secrets, ConfigMaps and Services are read".into(),
            ));
        }
    };
    if value.trim().is_empty() {
        return Err(failed("the value is empty".into()));
    }
    Ok(value)
}

/// The IP of the first load-balancer ingress that has one. A load balancer that publishes only
/// a hostname (AWS ELB) is refused with the fix: a certificate can be extended with an IP here,
/// while a DNS name must be known before the control plane's chart renders its certificate.
fn load_balancer_ip(
    ingress: &[k8s_openapi::api::core::v1::LoadBalancerIngress],
) -> Result<String, String> {
    if let Some(ip) = ingress.iter().find_map(|entry| entry.ip.clone()) {
        return Ok(ip);
    }
    match ingress.iter().find_map(|entry| entry.hostname.clone()) {
        Some(hostname) => Err(format!(
            "the load balancer published hostname `{hostname}` and no IP; set \
             `clusterGateway: {{address: {hostname}}}` on the control plane in the profile \
             (it is added to the gateway certificate's DNS names) and run install again"
        )),
        None => Err("the load balancer has published no address yet".into()),
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::LoadBalancerIngress;

    use super::load_balancer_ip;

    #[test]
    fn the_first_ingress_ip_is_read_and_a_hostname_only_balancer_names_the_profile_fix() {
        let ip = LoadBalancerIngress {
            ip: Some("198.51.100.10".into()),
            ..LoadBalancerIngress::default()
        };
        let hostname = LoadBalancerIngress {
            hostname: Some("abc.elb.amazonaws.com".into()),
            ..LoadBalancerIngress::default()
        };
        assert_eq!(
            load_balancer_ip(&[hostname.clone(), ip]).unwrap(),
            "198.51.100.10"
        );
        let error = load_balancer_ip(&[hostname]).unwrap_err();
        assert!(
            error.contains("clusterGateway: {address: abc.elb.amazonaws.com}"),
            "{error}"
        );
    }
}
