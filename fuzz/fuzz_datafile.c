/*
 * libFuzzer target: the data-file reader (src/datafile.c datafile_read).
 * A data file may have been edited or damaged by anyone who can write
 * DATA_DIR.  Invariants: an in-memory file never gives an I/O error; a
 * corrupt one gives exactly the defaults and a FILE:LINE message; a good
 * one gives NUL-terminated, single-line texts.  The input is read as a
 * stream (datafile_parse): datafile_read opens only regular files without
 * following symlinks, which a memfd path is not; test_trust covers that.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datafile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_datafile: %s (%s)\n", what, err);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct datafile df, defaults;
	const char *path = "data_fuzz";
	char err[4200] = "";
	FILE *fp = fmemopen((void *)data, size, "r");
	int r;

	if (size == 0)		/* fmemopen refuses an empty buffer */
		fp = fopen("/dev/null", "r");
	if (fp == NULL)
		fail("cannot open the input as a stream", "fmemopen");
	r = datafile_parse(fp, path, &df, err, sizeof(err));
	fclose(fp);
	datafile_defaults(&defaults);
	if (r == 1 && (memcmp(&df, &defaults, sizeof(df)) != 0 ||
	    strncmp(err, path, strlen(path)) != 0 ||
	    strstr(err, "unreadable line") == NULL))
		fail("a corrupt file did not give the defaults", err);
	if (r == 0 && (memchr(df.fault, '\0', sizeof(df.fault)) == NULL ||
	    memchr(df.repair, '\0', sizeof(df.repair)) == NULL ||
	    strchr(df.fault, '\n') != NULL || strchr(df.repair, '\n') != NULL))
		fail("a text is not one terminated line", df.fault);
	return 0;
}
