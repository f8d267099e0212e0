/*
 * msg: one packet per message, header then payload, checked on receipt.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>

#include "msg.h"

int
msg_send(int fd, enum msg_type type, uint32_t id, const void *data,
    size_t len)
{
	struct msg_hdr h = { (uint32_t)type, id, (uint32_t)len };
	struct iovec iov[2] = {
		{ &h, sizeof(h) },
		{ (void *)data, len },
	};
	struct msghdr m;

	if (len > MSG_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = len ? 2 : 1;
	return sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) == -1 ? -1 : 0;
}

int
msg_send_str(int fd, enum msg_type type, uint32_t id, const char *s)
{
	return msg_send(fd, type, id, s, strlen(s));
}

int
msg_recv(int fd, struct msg_hdr *h, void *buf, size_t len)
{
	struct iovec iov[2] = {
		{ h, sizeof(*h) },
		{ buf, len - 1 },
	};
	struct msghdr m;
	ssize_t n;

	memset(h, 0, sizeof(*h));
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	n = recvmsg(fd, &m, MSG_DONTWAIT);
	if (n == 0)
		return 0;
	if (n == -1)
		return -1;
	if ((size_t)n < sizeof(*h) || (m.msg_flags & MSG_TRUNC) ||
	    h->len != (size_t)n - sizeof(*h) || h->len > MSG_PAYLOAD_MAX ||
	    h->type == 0 || h->type >= MSG_TYPE_MAX) {
		errno = EBADMSG;
		return -1;
	}
	((char *)buf)[h->len] = '\0';
	return 1;
}

int
msg_pair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, fds);
}
