/* libFuzzer target: the configuration parser (src/config.c). */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config conf;
	char err[1024];

	if (config_load(memfile(data, size), &conf, err, sizeof(err)) == 0) {
		char **argv = command_expand(&conf.peer_command, "host");

		free(argv);
		config_free(&conf);
	}
	return 0;
}
