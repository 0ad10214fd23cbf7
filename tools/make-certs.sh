#!/usr/bin/env bash
# Makes a test PKI for config/tls/kvd-tls.yaml with openssl: a CA, a server
# certificate for the client port, a peer certificate (server and client use,
# CN kvd-peer) and a client certificate. SANs: 127.0.0.1, ::1 and localhost.
# Usage: tools/make-certs.sh [out-dir] [days]   (default config/tls/certs, 365)
# Not for production: the CA key is left next to the certificates.
set -euo pipefail

out="${1:-config/tls/certs}"
days="${2:-365}"
mkdir -p "$out"
chmod 700 "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat > "$work/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
authorityKeyIdentifier = keyid
[peer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
CNF

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; chmod 600 "$1"; }

newkey "$out/ca-key.pem"
openssl req -x509 -new -config "$work/openssl.cnf" -extensions ca -key "$out/ca-key.pem" \
  -subj "/O=kvd/CN=kvd test CA" -days "$days" -out "$out/ca.pem"

issue() { # name CN extensions
  newkey "$out/$1-key.pem"
  openssl req -new -config "$work/openssl.cnf" -key "$out/$1-key.pem" -subj "/O=kvd/CN=$2" -out "$work/$1.csr"
  openssl x509 -req -in "$work/$1.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" -CAcreateserial \
    -CAserial "$work/ca.srl" -days "$days" -extfile "$work/openssl.cnf" -extensions "$3" -out "$out/$1.pem" 2>/dev/null
}

issue server kvd-server server
issue peer kvd-peer peer
issue client kvd-client client

echo "wrote $out: ca.pem server.pem peer.pem client.pem (+ *-key.pem)"
