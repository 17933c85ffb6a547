#!/usr/bin/env python3
"""Stand-in for cert-manager's issuing controller in the sandbox (docs/sandbox.md).

The stand-in charts write the Secret of each Certificate themselves (helm's genSignedCert, at
first install); nothing re-issues it when the Certificate's names change afterwards, as
cert-manager does. This process does: on every cluster of the sandbox, once a second, each
non-CA Certificate with DNS names or IP addresses whose Secret exists and does not carry those
names yet (the `cert-manager.io/alt-names` and `cert-manager.io/ip-sans` annotations
cert-manager writes) gets a new key and certificate for exactly those names, signed by its
Issuer's CA (`spec.ca.secretName`) or self-signed (`spec.selfSigned`), with openssl.

  issuer.py KUBECONFIG_JSON

KUBECONFIG_JSON: `kubectl config view --raw --flatten -o json` of the sandbox (one context per
cluster, client certificates inline). Logs one line per issued certificate on stdout.
"""
import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

FIELD_MANAGER = "sandbox-issuer"


class Cluster:
    def __init__(self, name, cluster, user, workdir):
        self.name = name
        self.server = cluster["server"].rstrip("/")
        self.context = ssl.create_default_context()
        ca = os.path.join(workdir, f"{name}-ca.crt")
        cert = os.path.join(workdir, f"{name}-client.crt")
        key = os.path.join(workdir, f"{name}-client.key")
        for path, field in ((ca, cluster.get("certificate-authority-data")),
                            (cert, user.get("client-certificate-data")),
                            (key, user.get("client-key-data"))):
            with open(path, "wb") as f:
                f.write(base64.b64decode(field or ""))
        self.context.load_verify_locations(ca)
        self.context.load_cert_chain(cert, key)

    def request(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def secret(self, namespace, name):
        return self.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def issue(common_name, dns, ips, signer):
    """A new EC P-256 key and certificate for exactly `dns` and `ips`; signer: (cert, key) PEM
    bytes of the CA, or None for self-signed. Returns (tls.crt, tls.key, ca.crt)."""
    san = ",".join([f"DNS:{n}" for n in dns] + [f"IP:{ip}" for ip in ips])
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        with open(p("ext.cnf"), "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", p("tls.key"), "-out", p("tls.csr"), "-subj", f"/CN={common_name}")
        if signer is None:
            openssl("x509", "-req", "-in", p("tls.csr"), "-key", p("tls.key"), "-days", "90",
                    "-extfile", p("ext.cnf"), "-out", p("tls.crt"))
        else:
            with open(p("ca.crt"), "wb") as f:
                f.write(signer[0])
            with open(p("ca.key"), "wb") as f:
                f.write(signer[1])
            openssl("x509", "-req", "-in", p("tls.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
                    "-CAcreateserial", "-days", "90", "-extfile", p("ext.cnf"), "-out", p("tls.crt"))
        crt = open(p("tls.crt"), "rb").read()
        key = open(p("tls.key"), "rb").read()
    return crt, key, (signer[0] if signer else crt)


def signer_of(cluster, certificate):
    """The CA (cert, key) of the Certificate's Issuer, None for a self-signed one; raises
    LookupError when the issuer cannot sign yet."""
    ref = certificate["spec"].get("issuerRef") or {}
    namespace = certificate["metadata"]["namespace"]
    if ref.get("kind", "Issuer") == "ClusterIssuer":
        issuer = cluster.request("GET", f"/apis/cert-manager.io/v1/clusterissuers/{ref.get('name')}")
        namespace = "cert-manager"
    else:
        issuer = cluster.request(
            "GET", f"/apis/cert-manager.io/v1/namespaces/{namespace}/issuers/{ref.get('name')}")
    if issuer is None:
        raise LookupError(f"issuer {ref.get('name')} not found")
    spec = issuer.get("spec") or {}
    if "selfSigned" in spec:
        return None
    ca_secret = (spec.get("ca") or {}).get("secretName")
    if not ca_secret:
        raise LookupError(f"issuer {ref.get('name')} is neither selfSigned nor ca")
    secret = cluster.secret(namespace, ca_secret)
    data = (secret or {}).get("data") or {}
    if "tls.crt" not in data or "tls.key" not in data:
        raise LookupError(f"CA Secret {namespace}/{ca_secret} not there yet")
    return base64.b64decode(data["tls.crt"]), base64.b64decode(data["tls.key"])


def reconcile(cluster):
    listed = cluster.request("GET", "/apis/cert-manager.io/v1/certificates")
    for certificate in (listed or {}).get("items", []):
        spec = certificate.get("spec") or {}
        dns, ips = spec.get("dnsNames") or [], spec.get("ipAddresses") or []
        if spec.get("isCA") or not (dns or ips) or not spec.get("secretName"):
            continue
        namespace, name = certificate["metadata"]["namespace"], spec["secretName"]
        secret = cluster.secret(namespace, name)
        if secret is None:
            continue  # the chart writes it; only names that changed since are issued here
        annotations = secret["metadata"].get("annotations") or {}
        want = {"cert-manager.io/alt-names": ",".join(dns), "cert-manager.io/ip-sans": ",".join(ips)}
        if all(annotations.get(k) == v for k, v in want.items()):
            continue
        try:
            signer = signer_of(cluster, certificate)
        except LookupError as why:
            print(f"{cluster.name}: {namespace}/{name}: waiting: {why}", flush=True)
            continue
        common_name = spec.get("commonName") or (dns[0] if dns else certificate["metadata"]["name"])
        crt, key, ca = issue(common_name, dns, ips, signer)
        patch = {"metadata": {"annotations": {**want, "cert-manager.io/common-name": common_name}},
                 "data": {k: base64.b64encode(v).decode() for k, v in
                          (("tls.crt", crt), ("tls.key", key), ("ca.crt", ca))}}
        cluster.request("PATCH", f"/api/v1/namespaces/{namespace}/secrets/{name}?fieldManager={FIELD_MANAGER}",
                        patch, "application/merge-patch+json")
        print(f"{cluster.name}: issued Secret {namespace}/{name} for {dns + ips}", flush=True)


def main():
    config = json.load(open(sys.argv[1]))
    users = {u["name"]: u["user"] for u in config["users"]}
    clusters_by_name = {c["name"]: c["cluster"] for c in config["clusters"]}
    with tempfile.TemporaryDirectory(prefix="sandbox-issuer-") as workdir:
        clusters = [Cluster(c["name"], clusters_by_name[c["context"]["cluster"]], users[c["context"]["user"]], workdir)
                    for c in config["contexts"]]
        while True:
            for cluster in clusters:
                try:
                    reconcile(cluster)
                except (OSError, urllib.error.URLError, subprocess.CalledProcessError, ValueError, KeyError) as error:
                    print(f"{cluster.name}: {error}", flush=True)
            time.sleep(1)


if __name__ == "__main__":
    main()
