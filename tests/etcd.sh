# etcd.sh: the command line of a member of a test etcd cluster, TLS everywhere with the
# certificates of etcd_pki.sh (source it).
# shellcheck shell=bash

# etcd_member_argv NAME IP DATA-DIR CLUSTER TOKEN PKI-DIR: ETCD_ARGV = etcd and its options for a
# member that serves clients at https://IP:2379 and its peers at https://IP:2380, and asks both
# for a certificate its CA signed. A member restarted with the same DATA-DIR rejoins.
etcd_member_argv()
{
	local a=$2 d=$6
	ETCD_ARGV=(etcd --name "$1" --data-dir "$3"
		--listen-client-urls "https://$a:2379" --advertise-client-urls "https://$a:2379"
		--listen-peer-urls "https://$a:2380" --initial-advertise-peer-urls "https://$a:2380"
		--initial-cluster "$4" --initial-cluster-token "$5"
		--cert-file "$d/etcd.pem" --key-file "$d/etcd-key.pem" --client-cert-auth
		--trusted-ca-file "$d/ca.pem" --peer-cert-file "$d/etcd.pem"
		--peer-key-file "$d/etcd-key.pem" --peer-client-cert-auth
		--peer-trusted-ca-file "$d/ca.pem")
}
