/*
 * libFuzzer target: the probe frame parser and probe_take on any bytes
 * (src/probe.c).  What parses builds back to the same header; nothing is
 * ever taken, since the fuzzer has no key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t again[PROBE_FRAME_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe p;
	static uint8_t key[PROBE_KEY_LEN];
	static int ready;
	struct probe_frame f;
	char err[80];

	if (!ready) {
		if (probe_derive_key("fuzz", "lcsr", key) == -1)
			abort();
		probe_init(&p, "tap0", "lcsr", key, 5);
		ready = 1;
	}
	if (probe_frame_parse(data, size, &f, err, sizeof(err)) == 0) {
		/* All but the source address (free) and what follows the
		 * header (padding, tag) must come back. */
		if (probe_frame_build(&f, key, again, sizeof(again)) != f.len ||
		    memcmp(again, data, 6) != 0 ||
		    memcmp(again + 12, data + 12, PROBE_HEADER_LEN - 12) != 0) {
			fprintf(stderr, "fuzz_probe: parse/build differ\n");
			abort();
		}
	}
	if (probe_take(&p, data, size) != 0) {
		fprintf(stderr, "fuzz_probe: bytes without the key taken\n");
		abort();
	}
	return 0;
}
