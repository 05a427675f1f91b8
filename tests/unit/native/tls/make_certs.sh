#!/bin/sh
# Regenerates the TLS test material of the native driver's tests (needs the
# openssl command). Everything is for tests only: keys are not secret.
set -eu
cd "$(dirname "$0")"
days=36500
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ec ca.key
openssl req -x509 -new -key ca.key -sha256 -days $days -subj "/CN=coodie test CA" -out ca.pem

ec other-ca.key
openssl req -x509 -new -key other-ca.key -sha256 -days $days -subj "/CN=unrelated CA" -out other-ca.pem
rm other-ca.key

cat > ext.cnf <<CNF
[server]
subjectAltName = IP:127.0.0.1, DNS:localhost
extendedKeyUsage = serverAuth
[client]
extendedKeyUsage = clientAuth
CNF

ec server.key
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days -sha256 \
    -extfile ext.cnf -extensions server -out server.pem

ec client.key
openssl req -new -key client.key -subj "/CN=coodie client" -out client.csr
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days -sha256 \
    -extfile ext.cnf -extensions client -out client.pem
openssl pkey -in client.key -aes256 -passout pass:secret -out client-encrypted.key

rm -f server.csr client.csr ext.cnf ca.srl ca.key
