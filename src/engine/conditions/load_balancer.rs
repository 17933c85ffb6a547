//! Readiness of a LoadBalancer Service (`Addressed`): an address given by its load balancer.

use serde_json::Value;

use super::Readiness;
use super::object::str_at;

/// A LoadBalancer Service to which the load balancer has given an address (an IP or a
/// hostname in `status.loadBalancer.ingress`).
pub fn load_balancer_addressed(object: &Value) -> Readiness {
    let addressed = object
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .is_some_and(|ingress| {
            ingress
                .iter()
                .any(|entry| entry.get("ip").is_some() || entry.get("hostname").is_some())
        });
    if addressed {
        return Readiness::Ready;
    }
    match str_at(object, "/spec/type") {
        Some("LoadBalancer") => Readiness::not_ready(
            "no load-balancer address yet (is a load-balancer controller running in this cluster?)",
        ),
        other => Readiness::not_ready(format!(
            "the Service is of type {}, not LoadBalancer: nothing will give it an address",
            other.unwrap_or("ClusterIP")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::WaitCondition;
    use crate::engine::conditions::fixtures::{reason, yaml};
    use crate::engine::conditions::readiness;

    #[test]
    fn a_load_balancer_service_is_addressed_once_it_has_an_ingress_ip_or_hostname() {
        let pending = yaml("spec: {type: LoadBalancer}\nstatus: {loadBalancer: {}}\n");
        assert!(reason(load_balancer_addressed(&pending)).contains("no load-balancer address"));
        let cluster_ip = yaml("spec: {type: ClusterIP}\n");
        assert!(reason(load_balancer_addressed(&cluster_ip)).contains("type ClusterIP"));
        for ingress in ["{ip: 198.51.100.10}", "{hostname: lb.example.com}"] {
            let addressed = yaml(&format!(
                "spec: {{type: LoadBalancer}}\nstatus: {{loadBalancer: {{ingress: [{ingress}]}}}}\n"
            ));
            assert_eq!(
                readiness(WaitCondition::Addressed, "Service", Some(&addressed)),
                Readiness::Ready
            );
        }
    }
}
