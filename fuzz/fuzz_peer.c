/* libFuzzer target: the peer protocol's request and reply parsers. */
#include <stdint.h>
#include <string.h>

#include "peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[PEER_LINE_MAX * 2], err[256];
	struct peer_request req;
	struct peer_counters pc;
	struct peer_probe pp;
	int sw[SW_MAX], held, ended;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	(void)peer_parse_request(line, &req, err, sizeof(err));
	(void)peer_parse_counters(line, &pc);
	(void)peer_parse_switches(line, sw);
	(void)peer_parse_probe(line, &pp);
	(void)peer_parse_lock(line, &held);
	(void)peer_parse_end(line, &ended, &held);
	return 0;
}
