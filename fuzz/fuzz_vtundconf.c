/* libFuzzer target: the vtund.conf reader (src/vtundconf.c). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "vtundconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct vtundconf vc;
	char err[1024];
	FILE *fp;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/vfx-fuzz-vtund.%d", getpid());
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	if (vtundconf_load(path, &vc, err, sizeof(err)) == 0) {
		(void)vtundconf_find(&vc, "lcsr");
		vtundconf_free(&vc);
	}
	unlink(path);
	return 0;
}
