/*
 * Unit tests for src/safefile.c: what another account could plant under
 * one of the daemon's file names (a symlink to a root-only file, a hard
 * link, a FIFO, a directory, a file of its own, a group-writable file) is
 * refused with a precise error, and the file it points at is untouched.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "safefile.h"
#include "unit.h"

static char dir[] = "/tmp/vfx-safefile-XXXXXX";	/* the daemon's names */
static char vdir[] = "/tmp/vfx-safefile-victim-XXXXXX";
static char victim[300];		/* root's 0600 file, elsewhere */

static const char *
at(const char *name)
{
	static char buf[4][300];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd != -1) {
		(void)!write(fd, text, strlen(text));
		fchmod(fd, mode);
		close(fd);
	}
}

static void
check_victim_untouched(void)
{
	char buf[64] = "";
	struct stat st;
	int fd = open(victim, O_RDONLY);

	if (fd != -1) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	CHECK_STR(buf, "root's secret\n");
	CHECK(stat(victim, &st) == 0 && (st.st_mode & 07777) == 0600);
}

/* Every way of opening NAME fails with ERR and a message with WHY. */
static void
check_refused(const char *name, int err, const char *why)
{
	char want[400];
	FILE *fp;

	snprintf(want, sizeof(want), "%s: %s", at(name), why);
	errno = 0;
	CHECK_INT(sf_open_append(at(name), 0640), -1);
	CHECK_INT(errno, err);
	if (strncmp(sf_error(), want, strlen(want)) != 0)
		fprintf(stderr, "got \"%s\"\nwant \"%s...\"\n", sf_error(),
		    want);
	CHECK(strncmp(sf_error(), want, strlen(want)) == 0);
	CHECK_INT(sf_open_lock(at(name), 0640), -1);
	CHECK_INT(errno, err);
	CHECK((fp = sf_fopen_read(at(name))) == NULL);
	if (fp != NULL)
		fclose(fp);
	CHECK_INT(errno, err);
	check_victim_untouched();
}

static int
fill_text(FILE *fp, void *text)
{
	return fputs(text, fp) == EOF ? -1 : 0;
}

static int
fill_fails(FILE *fp, void *arg)
{
	fputs("half a file", fp);
	errno = ENOSPC;
	return -1;
}

/* Nothing but NAMES (NULL-terminated) in the directory: no temp files. */
static void
check_dir_holds(const char *const *names)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t i;
	int n = 0, want = 0;

	while (names[want] != NULL)
		want++;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(de->d_name, names[i]) == 0)
				break;
		if (names[i] == NULL)
			fprintf(stderr, "unexpected %s\n", de->d_name);
		n++;
	}
	if (d != NULL)
		closedir(d);
	CHECK_INT(n, want);
}

static void
test_own_files_work(void)
{
	char buf[64] = "";
	struct stat st;
	FILE *fp;
	int fd;

	CHECK((fd = sf_open_append(at("log"), 0640)) >= 0);
	CHECK(fd >= 0 && write(fd, "line\n", 5) == 5);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	if (fd >= 0)
		close(fd);
	CHECK(stat(at("log"), &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK((fp = sf_fopen_read(at("log"))) != NULL);
	if (fp != NULL) {
		CHECK(fgets(buf, sizeof(buf), fp) != NULL);
		fclose(fp);
	}
	CHECK_STR(buf, "line\n");
	CHECK((fd = sf_open_lock(at("lock"), 0600)) >= 0);
	if (fd >= 0)
		close(fd);
	errno = 0;
	CHECK(sf_fopen_read(at("none")) == NULL);
	CHECK_INT(errno, ENOENT);
	unlink(at("log"));
	unlink(at("lock"));
}

static void
test_symlink_refused(void)
{
	CHECK_INT(symlink(victim, at("log")), 0);
	check_refused("log", ELOOP, "is a symbolic link: not followed");
	/* A dangling one is not followed to create its target either. */
	CHECK_INT(symlink(at("created-through-link"), at("dangling")), 0);
	CHECK_INT(sf_open_append(at("dangling"), 0640), -1);
	CHECK_INT(errno, ELOOP);
	CHECK(access(at("created-through-link"), F_OK) == -1);
	unlink(at("log"));
	unlink(at("dangling"));
}

static void
test_hard_link_refused(void)
{
	CHECK_INT(link(victim, at("log")), 0);
	check_refused("log", EMLINK, "has 2 hard links");
	unlink(at("log"));
}

static void
test_fifo_and_directory_refused(void)
{
	struct timespec t0, t1;

	CHECK_INT(mkfifo(at("log"), 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check_refused("log", EINVAL, "is a FIFO, not a regular file");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 2);		/* did not block */
	unlink(at("log"));
	CHECK_INT(mkdir(at("log"), 0700), 0);
	CHECK_INT(sf_open_lock(at("log"), 0640), -1);
	CHECK(strstr(sf_error(), "log: ") != NULL);
	rmdir(at("log"));
}

static void
test_foreign_and_writable_files_refused(void)
{
	write_file(at("log"), "theirs\n", 0640);
	if (geteuid() != 0)
		SKIP("not root: cannot give a file to another uid");
	CHECK_INT(chown(at("log"), 12345, 12345), 0);
	check_refused("log", EPERM, "is owned by uid 12345, not by root");
	CHECK_INT(chown(at("log"), 0, 0), 0);
	CHECK_INT(chmod(at("log"), 0660), 0);
	check_refused("log", EPERM, "is writable by its group (mode 0660)");
	CHECK_INT(chmod(at("log"), 0602), 0);
	check_refused("log", EPERM, "is writable by others (mode 0602)");
	CHECK_INT(chmod(at("log"), 0666), 0);
	check_refused("log", EPERM, "is writable by group and others (mode "
	    "0666)");
	unlink(at("log"));
}

static void
test_replace(void)
{
	static const char *const left[] = { "data", NULL };
	struct stat a, b;
	char buf[64] = "";
	FILE *fp;

	CHECK_INT(sf_replace(at("data"), 0640, SF_SYNC, fill_text, "one\n"), 0);
	CHECK_INT(stat(at("data"), &a), 0);
	CHECK_INT(a.st_mode & 07777, 0640);
	CHECK_INT(sf_replace(at("data"), 0640, 0, fill_text, "two\n"), 0);
	CHECK_INT(stat(at("data"), &b), 0);
	CHECK(a.st_ino != b.st_ino);		/* a new file, renamed */
	if ((fp = fopen(at("data"), "r")) != NULL) {
		(void)!fgets(buf, sizeof(buf), fp);
		fclose(fp);
	}
	CHECK_STR(buf, "two\n");
	/* A failing writer leaves the old file and no temporary one. */
	errno = 0;
	CHECK_INT(sf_replace(at("data"), 0640, SF_SYNC, fill_fails, NULL), -1);
	CHECK_INT(errno, ENOSPC);
	CHECK(stat(at("data"), &a) == 0 && a.st_ino == b.st_ino);
	check_dir_holds(left);
	unlink(at("data"));
}

/* What is planted under the name is neither followed nor replaced. */
static void
test_replace_refuses_planted(void)
{
	static const char *const left[] = { "data", NULL };
	struct stat st;

	CHECK_INT(symlink(victim, at("data")), 0);
	errno = 0;
	CHECK_INT(sf_replace(at("data"), 0640, SF_SYNC, fill_text, "x\n"), -1);
	CHECK_INT(errno, ELOOP);
	CHECK(strstr(sf_error(), "/data: is a symbolic link") != NULL);
	CHECK(lstat(at("data"), &st) == 0 && S_ISLNK(st.st_mode));
	check_victim_untouched();
	check_dir_holds(left);
	unlink(at("data"));
	CHECK_INT(link(victim, at("data")), 0);
	CHECK_INT(sf_replace(at("data"), 0640, SF_SYNC, fill_text, "x\n"), -1);
	CHECK_INT(errno, EMLINK);
	check_victim_untouched();
	unlink(at("data"));
}

static void
test_bad_paths(void)
{
	CHECK_INT(sf_open_append("/nonexistent-vfx/x.log", 0640), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_STR(sf_error(), "/nonexistent-vfx/x.log: /nonexistent-vfx: No "
	    "such file or directory");
	CHECK_INT(sf_open_lock(at(""), 0640), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(sf_open_append(at("x"), 0640) >= 0 ? 0 : -1, 0);
	CHECK_INT(sf_open(at("x"), O_WRONLY | O_TRUNC, 0), -1);
	unlink(at("x"));
}

int
main(void)
{
	if (mkdtemp(dir) == NULL || mkdtemp(vdir) == NULL)
		return 1;
	snprintf(victim, sizeof(victim), "%s/victim", vdir);
	write_file(victim, "root's secret\n", 0600);
	RUN(test_own_files_work);
	RUN(test_symlink_refused);
	RUN(test_hard_link_refused);
	RUN(test_fifo_and_directory_refused);
	RUN(test_foreign_and_writable_files_refused);
	RUN(test_replace);
	RUN(test_replace_refuses_planted);
	RUN(test_bad_paths);
	unlink(victim);
	if (rmdir(dir) == -1 || rmdir(vdir) == -1)
		fprintf(stderr, "%s or %s left behind\n", dir, vdir);
	return unit_done();
}
