/*
 * tool_files: the daemon's own file paths, one at a time, for
 * tests/lab/test_files.sh (what vtundfix's commands do not reach alone).
 *
 *	tool_files metrics CONF		write CONF's METRICS_FILE
 *	tool_files log PATH		open PATH as the log and write a line
 *	tool_files lock PATH		open PATH as a lock file (pid file,
 *					listener lock) and flock it
 *
 * Prints "ok" and exits 0, or prints sf_error() (the reason a file was
 * refused) on stderr and exits 1.
 */
#include <sys/file.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "safefile.h"

static int
refused(void)
{
	fprintf(stderr, "%s\n", sf_error());
	return 1;
}

int
main(int argc, char *argv[])
{
	struct config conf;
	char err[1024];
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: tool_files metrics|log|lock ARG\n");
		return 2;
	}
	if (strcmp(argv[1], "metrics") == 0) {
		if (config_load(argv[2], &conf, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		fd = metrics_write(&conf, NULL, 0, 1);
		config_free(&conf);
		if (fd == -1)
			return refused();
	} else if (strcmp(argv[1], "log") == 0) {
		if (log_open(argv[2], "tool_files", 0) == -1)
			return 1;	/* log.c said why, on stderr */
		log_info("a line from tool_files");
		log_close();
	} else if (strcmp(argv[1], "lock") == 0) {
		if ((fd = sf_open_lock(argv[2], 0644)) == -1)
			return refused();
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			perror(argv[2]);
			return 1;
		}
		close(fd);
	} else
		return 2;
	printf("ok\n");
	return 0;
}
