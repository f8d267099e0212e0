/*
 * memfile.h: a fuzz input as a path for readers that take one, backed by
 * memory only: a memfd reached through /proc/self/fd/N.  No name in /tmp
 * that another user could guess and plant first, nothing left behind.
 */
#ifndef VTUNDFIX_FUZZ_MEMFILE_H
#define VTUNDFIX_FUZZ_MEMFILE_H

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* DATA (SIZE bytes) as the whole content of the returned path. */
static inline const char *
memfile(const uint8_t *data, size_t size)
{
	static char path[40];
	static int fd = -1;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz-input", MFD_CLOEXEC)) == -1) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 || (size > 0 &&
	    pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("memfile");
		abort();
	}
	return path;
}

#endif
