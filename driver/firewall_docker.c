/* SPDX-License-Identifier: MIT */
/*
 * Which firewall backend the host's dockerd uses, and whether its FORWARD chain lets wgnet's
 * traffic through. Docker 29's nftables backend keeps its rules in the table `ip
 * docker-bridges`, which only it makes (and its iptables backend deletes at start); the
 * iptables backend jumps from FORWARD to its DOCKER* chains. A host switched from the one to
 * the other without a reboot keeps the iptables policy DROP, and DOCKER-USER with its jump as
 * long as nobody deletes them: with the jump, wgnet's accepts in DOCKER-USER still work;
 * without it, nothing lets wgnet's forwarded traffic through, and that is warned about.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "driver/firewall_docker.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "netlink/iptables.h"
#include "netlink/nft.h"

#define DOCKER_NFT_TABLE "docker-bridges"	/* family ip */
#define DOCKER_CHECK 30		/* seconds between two looks at iptables' FORWARD chain */
#define FORWARD_GRACE 10	/* seconds a DROP with no jump to DOCKER-USER lasts before it is
				 * warned about: dockerd sets the policy before it makes the chain,
				 * and calls plugins in between */

#define FORWARD_WARNING \
	"iptables' FORWARD policy is DROP and no rule jumps to DOCKER-USER, where wgnet's " \
	"accepts are: its forwarded traffic (mesh, published ports, egress) is dropped. Left so " \
	"by a switch from Docker's iptables backend to nftables without a reboot? iptables -P " \
	"FORWARD ACCEPT, or reboot"

time_t firewall_docker_seen(struct driver *d, int ret, const struct iptables_forward *f,
			    time_t now)
{
	struct docker_firewall *x = &d->fw.docker;

	if (ret < 0) {
		log_debug("could not read iptables' FORWARD chain (%s): Docker's firewall as it "
			  "was", strerror(-ret));
		return now + DOCKER_CHECK;
	}
	x->fwd = *f;
	x->read = true;
	if (!f->policy_drop || f->to_docker_user) {
		if (x->warned)
			log_info("iptables' FORWARD chain lets wgnet's traffic through again");
		x->bad_since = 0;
		x->warned = false;
		return now + DOCKER_CHECK;
	}
	if (!x->bad_since)
		x->bad_since = now;
	if (now - x->bad_since < FORWARD_GRACE)
		return x->bad_since + FORWARD_GRACE;	/* look again then */
	if (!x->warned)
		log_warn("%s", FORWARD_WARNING);
	x->warned = true;
	return now + DOCKER_CHECK;
}

void firewall_docker_status(struct driver *d, struct driver_status *s)
{
	const struct docker_firewall *x = &d->fw.docker;
	int nft = nft_table_exists("ip", DOCKER_NFT_TABLE);
	const char *chain = x->fwd.docker_chain[0] ? x->fwd.docker_chain :
			    x->fwd.to_docker_user ? "DOCKER-USER" : "";

	s->docker_firewall[0] = 0;
	if (nft == 1) {
		snprintf(s->docker_firewall, sizeof(s->docker_firewall), "nftables");
		snprintf(s->docker_firewall_seen, sizeof(s->docker_firewall_seen),
			 "table ip %s%s%s", DOCKER_NFT_TABLE, x->read && chain[0] ?
			 "; iptables' FORWARD still jumps to " : "", x->read ? chain : "");
	} else if (x->read && chain[0]) {
		snprintf(s->docker_firewall, sizeof(s->docker_firewall), "iptables");
		snprintf(s->docker_firewall_seen, sizeof(s->docker_firewall_seen),
			 "iptables' FORWARD jumps to %s", chain);
	} else if (nft < 0) {
		snprintf(s->docker_firewall_seen, sizeof(s->docker_firewall_seen),
			 "could not look for table ip %s: %s", DOCKER_NFT_TABLE, strerror(-nft));
	} else {
		snprintf(s->docker_firewall_seen, sizeof(s->docker_firewall_seen),
			 "no table ip %s, %s", DOCKER_NFT_TABLE, d->fw.no_iptables ?
			 "iptables not looked at (--no-iptables)" : !x->read ?
			 "iptables not read yet" : "no DOCKER chain in iptables' FORWARD");
	}
	snprintf(s->docker_forward_warning, sizeof(s->docker_forward_warning), "%s",
		 x->warned ? FORWARD_WARNING : "");
}
