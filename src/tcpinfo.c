/*
 * tcpinfo: sock_diag requests for vtund's TCP connection.
 *
 * The dump carries a small bytecode filter (two host conditions: the local
 * port, and the remote address and port), so the kernel hands back only the
 * candidates.  Replies are parsed with the kernel's own structures:
 * struct tcp_info grows with every kernel, and only what the kernel sent
 * is copied.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/idiag/idiagnl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "tcpinfo.h"

#define TCPF_ESTABLISHED	(1U << 1)	/* TCP_ESTABLISHED */
#define CANDIDATES_MAX		16

struct tcpinfo {
	struct nl_sock	*sk;
};

struct candidate {
	struct tcp_key	 key;
	struct tunnel_tcp s;
	uint64_t	 inode;
	int		 state;		/* TCP_ESTABLISHED is 1 */
};

/*
 * A dump's replies.  With a match that names inodes, only the connections
 * they hold are kept (a client with a thousand tunnels to one server has a
 * thousand connections to that address and port); seen counts them all.
 */
struct collect {
	const struct tcp_match *m;	/* NULL: keep every reply */
	struct candidate c[CANDIDATES_MAX];
	size_t		 n;
	size_t		 seen;
	int		 more;		/* there were more than fit */
};

static int
held_by(const struct tcp_match *m, uint64_t inode)
{
	size_t i;

	for (i = 0; i < m->ninodes; i++)
		if (m->inodes[i] == inode)
			return 1;
	return 0;
}

int
tcpinfo_resolve(const char *host, struct tcp_addrs *out, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && out->n < TCPINFO_ADDRS_MAX;
	    ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *sin = (void *)ai->ai_addr;

			memcpy(out->addr[out->n], &sin->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (void *)ai->ai_addr;

			memcpy(out->addr[out->n], &sin6->sin6_addr, 16);
		} else {
			continue;
		}
		out->family[out->n++] = ai->ai_family;
	}
	freeaddrinfo(res);
	if (out->n == 0) {
		snprintf(err, errlen, "%s: no IPv4 or IPv6 address", host);
		return -1;
	}
	return 0;
}

struct tcpinfo *
tcpinfo_open(void)
{
	struct tcpinfo *ti;

	if ((ti = calloc(1, sizeof(*ti))) == NULL)
		return NULL;
	if ((ti->sk = nl_socket_alloc()) == NULL) {
		free(ti);
		return NULL;
	}
	/* One reply per request: no extra ACK left behind to confuse the
	 * next request's sequence numbers. */
	nl_socket_disable_auto_ack(ti->sk);
	if (idiagnl_connect(ti->sk) < 0) {
		nl_socket_free(ti->sk);
		free(ti);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	return ti;
}

void
tcpinfo_close(struct tcpinfo *ti)
{
	if (ti == NULL)
		return;
	nl_socket_free(ti->sk);
	free(ti);
}

static size_t
addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* One reply into the collection. */
static int
parse_reply(struct nl_msg *m, void *arg)
{
	struct collect *col = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	const struct inet_diag_msg *r;
	struct nlattr *a;
	struct candidate *c;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlmsg_datalen(nlh) < (int)sizeof(*r))
		return NL_SKIP;
	r = nlmsg_data(nlh);
	col->seen++;
	if (col->m != NULL && col->m->ninodes != 0 &&
	    !held_by(col->m, r->idiag_inode))
		return NL_SKIP;
	if (col->n == CANDIDATES_MAX) {
		col->more = 1;
		return NL_SKIP;
	}
	c = &col->c[col->n++];
	memset(c, 0, sizeof(*c));
	c->key.family = r->idiag_family;
	memcpy(c->key.src, r->id.idiag_src, addr_len(r->idiag_family));
	memcpy(c->key.dst, r->id.idiag_dst, addr_len(r->idiag_family));
	c->key.sport = ntohs(r->id.idiag_sport);
	c->key.dport = ntohs(r->id.idiag_dport);
	c->inode = r->idiag_inode;
	c->state = r->idiag_state;
	c->s.inode = r->idiag_inode;
	c->s.waiting = r->idiag_wqueue;
	c->s.rto_pending = r->idiag_timer == 1 || r->idiag_timer == 4;
	c->s.rto_in_ms = r->idiag_expires;
	a = nlmsg_find_attr(nlh, sizeof(*r), INET_DIAG_INFO);
	if (a != NULL)
		tcpinfo_raw_parse(nla_data(a), (size_t)nla_len(a), &c->s);
	return NL_OK;
}

/* Send MSG and collect the replies; 0, or -1 (errno). */
static int
exchange(struct tcpinfo *ti, struct nl_msg *msg, const struct tcp_match *m,
    struct collect *col)
{
	int rc;

	memset(col, 0, sizeof(*col));
	col->m = m;
	nl_socket_modify_cb(ti->sk, NL_CB_VALID, NL_CB_CUSTOM, parse_reply,
	    col);
	rc = nl_send_auto(ti->sk, msg);
	nlmsg_free(msg);
	if (rc < 0 || (rc = nl_recvmsgs_default(ti->sk)) < 0) {
		if (rc == -NLE_OBJ_NOTFOUND) {
			col->n = 0;
			return 0;	/* the exact lookup found nothing */
		}
		errno = EIO;
		return -1;
	}
	return 0;
}

static struct nl_msg *
request(int flags, const struct inet_diag_req_v2 *req)
{
	struct nl_msg *msg = nlmsg_alloc_simple(SOCK_DIAG_BY_FAMILY, flags);

	if (msg == NULL || nlmsg_append(msg, (void *)req, sizeof(*req),
	    NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * The filter: S_COND (local port, any address), then D_COND (remote port
 * and address).  Each op jumps past its condition when it holds, and past
 * the end (reject) when it does not.
 */
static size_t
host_cond(uint8_t *p, int code, int family, const uint8_t *addr, int port,
    size_t rest)
{
	struct inet_diag_bc_op op;
	struct inet_diag_hostcond hc;
	size_t alen = family == AF_UNSPEC ? 0 : addr_len(family);
	size_t len = sizeof(op) + sizeof(hc) + alen;

	op.code = (unsigned char)code;
	op.yes = (unsigned char)len;
	op.no = (unsigned short)(rest + 4);
	hc.family = (uint8_t)family;
	hc.prefix_len = (uint8_t)(alen * 8);
	hc.port = port;
	memcpy(p, &op, sizeof(op));
	memcpy(p + sizeof(op), &hc, sizeof(hc));
	if (alen)
		memcpy(p + sizeof(op) + sizeof(hc), addr, alen);
	return len;
}

static int
dump_one(struct tcpinfo *ti, int family, const uint8_t *addr,
    const struct tcp_match *m, struct collect *col)
{
	struct inet_diag_req_v2 req;
	uint8_t bc[128];
	size_t l1, l2, alen = addr_len(family);
	struct nl_msg *msg;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = (uint8_t)family;
	req.sdiag_protocol = IPPROTO_TCP;
	req.idiag_states = TCPF_ESTABLISHED;
	req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	l2 = sizeof(struct inet_diag_bc_op) +
	    sizeof(struct inet_diag_hostcond) + alen;
	l1 = host_cond(bc, INET_DIAG_BC_S_COND, AF_UNSPEC, NULL,
	    m->local_port ? m->local_port : -1,
	    sizeof(struct inet_diag_bc_op) +
	    sizeof(struct inet_diag_hostcond) + l2);
	(void)host_cond(bc + l1, INET_DIAG_BC_D_COND, family, addr,
	    m->remote_port ? m->remote_port : -1, l2);
	if ((msg = request(NLM_F_REQUEST | NLM_F_DUMP, &req)) == NULL ||
	    nla_put(msg, INET_DIAG_REQ_BYTECODE, (int)(l1 + l2), bc) < 0) {
		nlmsg_free(msg);
		errno = ENOMEM;
		return -1;
	}
	return exchange(ti, msg, m, col);
}

int
tcpinfo_find(struct tcpinfo *ti, const struct tcp_match *m,
    struct tcp_key *key, struct tunnel_tcp *s)
{
	struct collect col;
	size_t i, seen = 0;

	for (i = 0; i < m->remote->n; i++) {
		if (dump_one(ti, m->remote->family[i], m->remote->addr[i], m,
		    &col) == -1)
			return -1;
		seen += col.seen;
		if (col.n == 0)
			continue;
		/* By inode: the one held.  Without: only if it is alone. */
		if (m->ninodes == 0 && (seen > 1 || col.n > 1))
			return 0;
		*key = col.c[0].key;
		*s = col.c[0].s;
		if (m->ninodes != 0)
			return 1;
	}
	return seen == 1 ? 1 : 0;
}

int
tcpinfo_get(struct tcpinfo *ti, const struct tcp_key *key,
    struct tunnel_tcp *s)
{
	struct inet_diag_req_v2 req;
	struct collect col;
	struct nl_msg *msg;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = (uint8_t)key->family;
	req.sdiag_protocol = IPPROTO_TCP;
	req.idiag_states = TCPF_ESTABLISHED;
	req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	memcpy(req.id.idiag_src, key->src, addr_len(key->family));
	memcpy(req.id.idiag_dst, key->dst, addr_len(key->family));
	req.id.idiag_sport = htons(key->sport);
	req.id.idiag_dport = htons(key->dport);
	req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if ((msg = request(NLM_F_REQUEST, &req)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (exchange(ti, msg, NULL, &col) == -1)
		return -1;
	/* The exact lookup ignores the state filter: a connection that
	 * closed (FIN_WAIT, TIME_WAIT) is gone for us. */
	if (col.n != 1 || col.c[0].state != 1)
		return 0;
	*s = col.c[0].s;
	return 1;
}

/* One end's address and port into ADDR (16 bytes) and *PORT. */
static int
key_end(const struct sockaddr_storage *ss, int *family, uint8_t *addr,
    uint16_t *port)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		*family = AF_INET;
		memcpy(addr, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (ss->ss_family != AF_INET6)
		return -1;
	*port = ntohs(in6->sin6_port);
	if (memcmp(in6->sin6_addr.s6_addr, mapped, sizeof(mapped)) == 0) {
		*family = AF_INET;
		memcpy(addr, in6->sin6_addr.s6_addr + 12, 4);
	} else {
		*family = AF_INET6;
		memcpy(addr, in6->sin6_addr.s6_addr, 16);
	}
	return 0;
}

int
tcpinfo_key(const struct sockaddr_storage *local,
    const struct sockaddr_storage *remote, struct tcp_key *key)
{
	int lf, rf;

	if (key_end(local, &lf, key->src, &key->sport) == -1 ||
	    key_end(remote, &rf, key->dst, &key->dport) == -1 || lf != rf)
		return -1;
	key->family = lf;
	return 0;
}

void
tcpinfo_key_str(const struct tcp_key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int v6 = k->family == AF_INET6;

	inet_ntop(k->family, k->src, a, sizeof(a));
	inet_ntop(k->family, k->dst, b, sizeof(b));
	snprintf(buf, len, v6 ? "[%s]:%u -> [%s]:%u" : "%s:%u -> %s:%u", a,
	    k->sport, b, k->dport);
}
