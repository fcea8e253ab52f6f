#!/usr/bin/env bash
# etcd_pki.sh DIR IP...: a test CA, a certificate for etcd members (server and peer, valid for
# the given IPs) and one client certificate for wgnet hosts, made with openssl in DIR:
# ca.pem, etcd.pem / etcd-key.pem, host.pem / host-key.pem. Two days, P-256.
set -eu
d=$1
shift
san=$(printf 'IP:%s,' "$@")
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -days 2 -subj /CN=wgnet-test-ca -keyout "$d/ca-key.pem" \
	-out "$d/ca.pem"
openssl req "${ec[@]}" -subj /CN=etcd -keyout "$d/etcd-key.pem" -out "$d/etcd.csr"
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "${san%,}" >"$d/etcd.ext"
openssl x509 -req -in "$d/etcd.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
	-days 2 -extfile "$d/etcd.ext" -out "$d/etcd.pem"
openssl req "${ec[@]}" -subj /CN=wgnet-host -keyout "$d/host-key.pem" -out "$d/host.csr"
printf 'extendedKeyUsage=clientAuth\n' >"$d/host.ext"
openssl x509 -req -in "$d/host.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
	-days 2 -extfile "$d/host.ext" -out "$d/host.pem"
