/*
 * links: network interfaces through rtnetlink, with libnl-route-3.
 *
 * Requests go through one synchronous socket; every question asks the
 * kernel afresh (rtnl_link_get_kernel), so there is no cache to go stale.
 * A question is a request, its reply and the kernel's ACK, each read
 * once: no peek to size the buffer first (a check round asks a dozen
 * questions; each was five system calls, now three).  Link events come
 * on a second, non-blocking socket subscribed to RTNLGRP_LINK; of each,
 * only the name and the kind are read.
 */
#include <sys/socket.h>

#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/vlan.h>
#include <stdlib.h>
#include <string.h>

#include "links.h"

/* From <linux/if.h>, which clashes with <net/if.h>. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP	0x10000
#endif
#define OPER_UP		6	/* IF_OPER_UP */

/* One reply or event, read whole without a peek: a link's message is a
 * few KiB (no VF list is asked for). */
#define LINKS_MSG_BUF	(64 * 1024)
/*
 * The watch's receive buffer: every tap of a 1000-tunnel hub leaving its
 * bridge at once is some 5000 events of 2-4 KiB each.  SO_RCVBUF is
 * capped by net.core.rmem_max (208 KiB here); root may force it.
 */
#define LINKS_WATCH_RCVBUF	(32 * 1024 * 1024)

const int LINKS_NOTFOUND = -NLE_OBJ_NOTFOUND;

struct links {
	struct nl_sock	*sk;
};

struct links *
links_open(void)
{
	struct links *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->sk = nl_socket_alloc()) == NULL ||
	    nl_connect(l->sk, NETLINK_ROUTE) < 0 ||
	    nl_socket_set_msg_buf_size(l->sk, LINKS_MSG_BUF) < 0) {
		links_close(l);
		return NULL;
	}
	nl_socket_disable_msg_peek(l->sk);
	return l;
}

void
links_close(struct links *l)
{
	if (l == NULL)
		return;
	if (l->sk != NULL)
		nl_socket_free(l->sk);
	free(l);
}

const char *
links_strerror(int err)
{
	if (err == LINKS_NOTFOUND)
		return "no such interface";
	return nl_geterror(err < 0 ? -err : err);
}

/* The kernel's object for NAME; LINKS_NOTFOUND when there is none. */
static int
get_link(struct links *l, const char *name, struct rtnl_link **out)
{
	int rc = rtnl_link_get_kernel(l->sk, 0, name, out);

	if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND)
		return LINKS_NOTFOUND;
	return rc;
}

static void
name_of(struct links *l, int ifindex, char *buf, size_t len)
{
	struct rtnl_link *link;

	buf[0] = '\0';
	if (ifindex <= 0 || rtnl_link_get_kernel(l->sk, ifindex, NULL,
	    &link) < 0)
		return;
	snprintf(buf, len, "%s", rtnl_link_get_name(link));
	rtnl_link_put(link);
}

int
links_get(struct links *l, const char *name, struct link_info *info)
{
	struct rtnl_link *link;
	const char *type;
	unsigned int flags;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = get_link(l, name, &link)) < 0)
		return rc;
	snprintf(info->name, sizeof(info->name), "%s",
	    rtnl_link_get_name(link));
	info->ifindex = rtnl_link_get_ifindex(link);
	info->mtu = rtnl_link_get_mtu(link);
	flags = rtnl_link_get_flags(link);
	info->admin_up = (flags & IFF_UP) != 0;
	info->carrier = (flags & IFF_LOWER_UP) != 0 ||
	    rtnl_link_get_operstate(link) == OPER_UP;
	if ((type = rtnl_link_get_type(link)) != NULL)
		snprintf(info->kind, sizeof(info->kind), "%s", type);
	if (rtnl_link_is_vlan(link)) {
		info->vlan_id = rtnl_link_vlan_get_id(link);
		name_of(l, rtnl_link_get_link(link), info->vlan_parent,
		    sizeof(info->vlan_parent));
	}
	name_of(l, rtnl_link_get_master(link), info->master,
	    sizeof(info->master));
	info->rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	info->tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	info->rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
	info->tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
	rtnl_link_put(link);
	return 0;
}

/* Apply CHANGE to the existing link NAME. */
static int
change(struct links *l, const char *name, struct rtnl_link *changes)
{
	struct rtnl_link *link;
	int rc;

	if ((rc = get_link(l, name, &link)) < 0)
		return rc;
	rc = rtnl_link_change(l->sk, link, changes, 0);
	rtnl_link_put(link);
	return rc;
}

static int
set_flag(struct links *l, const char *name, int up)
{
	struct rtnl_link *changes;
	int rc;

	if ((changes = rtnl_link_alloc()) == NULL)
		return -NLE_NOMEM;
	if (up)
		rtnl_link_set_flags(changes, IFF_UP);
	else
		rtnl_link_unset_flags(changes, IFF_UP);
	rc = change(l, name, changes);
	rtnl_link_put(changes);
	return rc;
}

int
links_set_up(struct links *l, const char *name)
{
	return set_flag(l, name, 1);
}

int
links_set_down(struct links *l, const char *name)
{
	return set_flag(l, name, 0);
}

int
links_create_bridge(struct links *l, const char *name)
{
	struct rtnl_link *link;
	int rc;

	if ((link = rtnl_link_bridge_alloc()) == NULL)
		return -NLE_NOMEM;
	rtnl_link_set_name(link, name);
	rc = rtnl_link_add(l->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	return rc;
}

int
links_create_vlan(struct links *l, const char *name, const char *parent,
    int vlan_id)
{
	struct rtnl_link *link, *par;
	int rc;

	if ((rc = get_link(l, parent, &par)) < 0)
		return rc;
	if ((link = rtnl_link_vlan_alloc()) == NULL) {
		rtnl_link_put(par);
		return -NLE_NOMEM;
	}
	rtnl_link_set_name(link, name);
	rtnl_link_set_link(link, rtnl_link_get_ifindex(par));
	rtnl_link_put(par);
	if ((rc = rtnl_link_vlan_set_id(link, vlan_id)) == 0)
		rc = rtnl_link_add(l->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	return rc;
}

int
links_delete(struct links *l, const char *name)
{
	struct rtnl_link *link;
	int rc;

	if ((rc = get_link(l, name, &link)) < 0)
		return rc;
	rc = rtnl_link_delete(l->sk, link);
	rtnl_link_put(link);
	return rc;
}

static int
set_master_index(struct links *l, const char *port, int master)
{
	struct rtnl_link *changes;
	int rc;

	if ((changes = rtnl_link_alloc()) == NULL)
		return -NLE_NOMEM;
	rtnl_link_set_master(changes, master);
	rc = change(l, port, changes);
	rtnl_link_put(changes);
	return rc;
}

int
links_set_master(struct links *l, const char *port, const char *bridge)
{
	struct rtnl_link *br;
	int rc, ifindex;

	if ((rc = get_link(l, bridge, &br)) < 0)
		return rc;
	ifindex = rtnl_link_get_ifindex(br);
	rtnl_link_put(br);
	return set_master_index(l, port, ifindex);
}

int
links_release(struct links *l, const char *port)
{
	return set_master_index(l, port, 0);
}

/* --- events --- */

struct links_watch {
	struct nl_sock	*sk;
	links_event_cb	 cb;
	void		*arg;
};

/*
 * One RTM_NEWLINK or RTM_DELLINK: its name and whether the interface is
 * gone.  A bridge's RTM_DELLINK of family AF_BRIDGE says that a port left
 * it (the port is still there); only the link's own deletion is removal.
 */
static int
message(struct nl_msg *msg, void *arg)
{
	struct links_watch *w = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const struct ifinfomsg *ifi;
	struct nlattr *a;
	char name[IFNAMSIZ];

	if ((nlh->nlmsg_type != RTM_NEWLINK &&
	    nlh->nlmsg_type != RTM_DELLINK) ||
	    !nlmsg_valid_hdr(nlh, sizeof(*ifi)))
		return NL_SKIP;
	ifi = nlmsg_data(nlh);
	if ((a = nlmsg_find_attr(nlh, sizeof(*ifi), IFLA_IFNAME)) == NULL ||
	    nla_len(a) < 2)
		return NL_SKIP;
	nla_strlcpy(name, a, sizeof(name));
	w->cb(name, nlh->nlmsg_type == RTM_DELLINK &&
	    ifi->ifi_family != AF_BRIDGE ? LINK_REMOVED : LINK_CHANGED, w->arg);
	return NL_OK;
}

struct links_watch *
links_watch_open(links_event_cb cb, void *arg)
{
	struct links_watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->cb = cb;
	w->arg = arg;
	if ((w->sk = nl_socket_alloc()) == NULL)
		goto fail;
	nl_socket_disable_seq_check(w->sk);
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, message, w);
	if (nl_connect(w->sk, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_membership(w->sk, RTNLGRP_LINK) < 0 ||
	    nl_socket_set_nonblocking(w->sk) < 0 ||
	    nl_socket_set_msg_buf_size(w->sk, LINKS_MSG_BUF) < 0)
		goto fail;
	nl_socket_disable_msg_peek(w->sk);
	if (setsockopt(nl_socket_get_fd(w->sk), SOL_SOCKET, SO_RCVBUFFORCE,
	    &(int){ LINKS_WATCH_RCVBUF }, sizeof(int)) == -1)
		nl_socket_set_buffer_size(w->sk, LINKS_WATCH_RCVBUF, 0);
	return w;
fail:
	links_watch_close(w);
	return NULL;
}

int
links_watch_fd(const struct links_watch *w)
{
	return nl_socket_get_fd(w->sk);
}

int
links_watch_read(struct links_watch *w)
{
	int rc;

	for (;;) {
		rc = nl_recvmsgs_default(w->sk);
		if (rc == -NLE_AGAIN)
			return 0;
		if (rc == -NLE_NOMEM || rc == -NLE_MSG_OVERFLOW) {
			/*
			 * Overrun: the kernel dropped events (ENOBUFS, which
			 * libnl reports as -NLE_NOMEM); look at everything.
			 */
			w->cb("", LINK_CHANGED, w->arg);
			continue;
		}
		if (rc < 0)
			return rc;
	}
}

void
links_watch_close(struct links_watch *w)
{
	if (w == NULL)
		return;
	if (w->sk != NULL)
		nl_socket_free(w->sk);
	free(w);
}
