/*
 * links: see and change network interfaces through rtnetlink (libnl-route-3).
 *
 * All libnl use lives in links.c; the rest of vtundfix speaks of bridges,
 * ports and VLANs.  Functions return 0 on success or a negative libnl error
 * code (-NLE_*), which links_strerror() turns into text.  Nothing here logs:
 * the caller knows the context ("tap0: bridge br0 ...").
 */
#ifndef VTUNDFIX_LINKS_H
#define VTUNDFIX_LINKS_H

#include <net/if.h>
#include <stdint.h>

struct link_info {
	char	 name[IFNAMSIZ];
	int	 ifindex;
	int	 admin_up;		/* IFF_UP */
	int	 carrier;		/* IFF_LOWER_UP / operstate up */
	char	 kind[16];		/* "bridge", "vlan", "tun", "veth", ... */
	int	 vlan_id;		/* VLAN only, else 0 */
	char	 vlan_parent[IFNAMSIZ];	/* VLAN only, else "" */
	char	 master[IFNAMSIZ];	/* bridge it is a port of, or "" */
	uint64_t rx_packets, tx_packets;
	uint64_t rx_bytes, tx_bytes;
	unsigned mtu;
};

struct links;				/* a request socket and its state */

struct links	*links_open(void);
void		 links_close(struct links *);

/* Fill *INFO for NAME: 0, or LINKS_NOTFOUND when it does not exist. */
int	 links_get(struct links *, const char *name, struct link_info *info);
extern const int LINKS_NOTFOUND;	/* -NLE_OBJ_NOTFOUND */

int	 links_set_up(struct links *, const char *name);
int	 links_set_down(struct links *, const char *name);
int	 links_create_bridge(struct links *, const char *name);
int	 links_create_vlan(struct links *, const char *name,
	    const char *parent, int vlan_id);
int	 links_delete(struct links *, const char *name);
/* Make PORT a port of BRIDGE (also moves it off another bridge). */
int	 links_set_master(struct links *, const char *port, const char *bridge);
/* Take PORT off whatever bridge it is on. */
int	 links_release(struct links *, const char *port);

const char *links_strerror(int err);

/*
 * Link events: a socket subscribed to RTNLGRP_LINK.  Put links_watch_fd()
 * into the event loop; when readable, links_watch_read() calls CB once per
 * message with the interface's name and whether it was removed.
 */
enum link_event {
	LINK_CHANGED,			/* new, or changed flags/master/... */
	LINK_REMOVED,
};

struct links_watch;
typedef void (*links_event_cb)(const char *name, enum link_event ev,
    void *arg);

struct links_watch *links_watch_open(links_event_cb cb, void *arg);
int	 links_watch_fd(const struct links_watch *);
int	 links_watch_read(struct links_watch *);
void	 links_watch_close(struct links_watch *);

#endif
