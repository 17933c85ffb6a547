//! Inputs shared by several test modules.

/// A kubeconfig with contexts `alpha` and `beta`; no cluster is ever contacted.
pub const KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster:
      server: https://127.0.0.1:6443
users:
  - name: admin
    user:
      token: not-a-real-token
contexts:
  - name: alpha
    context:
      cluster: lab
      user: admin
  - name: beta
    context:
      cluster: lab
      user: admin
current-context: alpha
";

/// Every preset of DESIGN.md §4.
pub const PRESETS: [&str; 8] = [
    "single-plane",
    "multi-plane",
    "shared-observability",
    "fully-isolated",
    "fintech",
    "saas-startup",
    "healthcare",
    "ai-platform",
];
