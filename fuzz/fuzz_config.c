/* libFuzzer target: the configuration parser (src/config.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct config conf;
	char err[1024];
	FILE *fp;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/vfx-fuzz-config.%d", getpid());
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	if (config_load(path, &conf, err, sizeof(err)) == 0) {
		char **argv = command_expand(&conf.peer_command, "host");

		free(argv);
		config_free(&conf);
	}
	unlink(path);
	return 0;
}
