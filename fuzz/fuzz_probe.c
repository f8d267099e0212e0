/* libFuzzer target: the probe frame parser (src/probe.c). */
#include <stdint.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_frame f;
	uint8_t again[PROBE_FRAME_LEN];
	char err[80];

	if (probe_frame_parse(data, size, &f, err, sizeof(err)) == 0) {
		/* What parses must build back to the same fields (all but
		 * the reserved bytes). */
		probe_frame_build(&f, again);
		if (__builtin_memcmp(again + 14, data + 14, 6) != 0 ||
		    __builtin_memcmp(again + 22, data + 22, PROBE_FRAME_LEN - 22)
		    != 0)
			__builtin_trap();
	}
	return 0;
}
