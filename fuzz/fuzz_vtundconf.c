/* libFuzzer target: the vtund.conf reader (src/vtundconf.c). */
#include <stdint.h>

#include "memfile.h"
#include "vtundconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtundconf vc;
	char err[1024];

	if (vtundconf_load(memfile(data, size), &vc, err, sizeof(err)) == 0) {
		(void)vtundconf_find(&vc, "lcsr");
		vtundconf_free(&vc);
	}
	return 0;
}
