#!/usr/bin/env bash
# Makes a test PKI for config/tls/kvd-tls.yaml with openssl: a CA, a server
# certificate for the client port, a peer certificate (server and client use,
# CN kvd-peer) and a client certificate (CN kvd-client).
# SANs: 127.0.0.1, ::1, localhost, and any given as the third argument.
#
# Usage: tools/make-certs.sh [out-dir] [days] [extra-sans]
#   out-dir     default config/tls/certs
#   days        validity, default 365
#   extra-sans  e.g. "DNS:kvd-1.example.com,IP:10.0.0.5"
#
# Run it again to renew: a CA already in out-dir (ca.pem + ca-key.pem) is
# kept, so the new certificates are trusted wherever the old ones were, and
# running members pick them up (they watch their files; or send SIGHUP).
# Each file is replaced by a rename, never rewritten in place.
# Not for production: the CA key is left next to the certificates.
set -euo pipefail

out="${1:-config/tls/certs}"
days="${2:-365}"
extra_sans="${3:-}"
sans="IP:127.0.0.1, IP:::1, DNS:localhost${extra_sans:+, ${extra_sans//,/, }}"
mkdir -p "$out"
chmod 700 "$out"
# In out-dir, so that moving a file into place is an atomic rename.
work="$(mktemp -d "$out/.make-certs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cat > "$work/openssl.cnf" <<CNF
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
subjectAltName = $sans
authorityKeyIdentifier = keyid
[peer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = $sans
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
CNF

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; chmod 600 "$1"; }

if [[ -f "$out/ca.pem" && -f "$out/ca-key.pem" ]]; then
  ca="$out/ca.pem"
  ca_key="$out/ca-key.pem"
  echo "keeping the CA in $out"
else
  ca="$work/ca.pem"
  ca_key="$work/ca-key.pem"
  newkey "$ca_key"
  openssl req -x509 -new -config "$work/openssl.cnf" -extensions ca -key "$ca_key" \
    -subj "/O=kvd/CN=kvd test CA" -days "$days" -out "$ca"
fi

issue() { # name CN extensions
  newkey "$work/$1-key.pem"
  openssl req -new -config "$work/openssl.cnf" -key "$work/$1-key.pem" -subj "/O=kvd/CN=$2" -out "$work/$1.csr"
  # A random serial: a renewed certificate is told apart from the one it replaces.
  openssl x509 -req -in "$work/$1.csr" -CA "$ca" -CAkey "$ca_key" -set_serial "0x$(openssl rand -hex 16)" \
    -days "$days" -extfile "$work/openssl.cnf" -extensions "$3" -out "$work/$1.pem" 2>/dev/null
}

issue server kvd-server server
issue peer kvd-peer peer
issue client kvd-client client

# Into place, each key just before its certificate: a member that reloads
# between the two sees a mismatch, keeps its current pair and retries.
if [[ "$ca" == "$work/ca.pem" ]]; then
  mv "$work/ca-key.pem" "$out/ca-key.pem"
  mv "$work/ca.pem" "$out/ca.pem"
fi
for name in server peer client; do
  mv "$work/$name-key.pem" "$out/$name-key.pem"
  mv "$work/$name.pem" "$out/$name.pem"
done

echo "wrote $out: ca.pem server.pem peer.pem client.pem (+ *-key.pem)"
