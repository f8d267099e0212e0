/*
 * tcpinfo_raw: read the kernel's struct tcp_info as the kernel sent it.
 *
 * This file includes <linux/tcp.h> and nothing of libnl: libnl pulls in
 * glibc's <netinet/tcp.h>, whose struct tcp_info stops before the fields
 * vtundfix needs (tcpi_bytes_acked, Linux 4.1), and the two headers cannot
 * be included together.  Only what the kernel sent is read: a field the
 * running kernel does not have reads as 0.
 */
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>

#include "tcpinfo.h"

void
tcpinfo_raw_parse(const void *raw, size_t len, struct tunnel_tcp *s)
{
	struct tcp_info info;

	memset(&info, 0, sizeof(info));
	memcpy(&info, raw, len < sizeof(info) ? len : sizeof(info));
	s->unacked = info.tcpi_unacked;
	s->bytes_acked = info.tcpi_bytes_acked;
	s->last_ack_ms = info.tcpi_last_ack_recv;
	s->retransmits = info.tcpi_retransmits;
	s->backoff = info.tcpi_backoff;
	s->rtt_ms = info.tcpi_rtt / 1000;
}
