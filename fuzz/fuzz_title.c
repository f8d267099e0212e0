/*
 * libFuzzer target: the vtund process-title parser (src/processes.c
 * procs_parse_title).  Any process can set any title, so whatever parses
 * must say exactly what the title says: the invariants rebuild the title
 * from the parsed fields where the format allows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *title)
{
	fprintf(stderr, "fuzz_title: %s: \"%s\"\n", what, title);
	abort();
}

/* A connected session: the title is exactly PREFIX SESSION TYPE DEVICE. */
static void
check_rebuilt(const char *title, const struct vtund_proc *p)
{
	char again[4200];

	snprintf(again, sizeof(again), "%.10s%s ether %s", title, p->session,
	    p->device);
	if (strcmp(again, title) == 0)
		return;
	snprintf(again, sizeof(again), "%.10s%s tun %s", title, p->session,
	    p->device);
	if (strcmp(again, title) != 0)
		fail("device title does not rebuild", title);
}

static void
check(const char *title, const struct vtund_proc *p)
{
	size_t n = strlen(p->session);

	if (memchr(p->session, '\0', sizeof(p->session)) == NULL ||
	    memchr(p->device, '\0', sizeof(p->device)) == NULL)
		fail("unterminated field", title);
	if (strncmp(title, p->client ? "vtund[c]: " : "vtund[s]: ", 10) != 0)
		fail("client flag disagrees with the title", title);
	if (p->kind == VTUND_LISTENER) {
		if (p->client || n != 0 || p->device[0] != '\0')
			fail("listener with a session", title);
		return;
	}
	/* Exact session match (SPEC §4): the name is the whole word. */
	if (n == 0 || strchr(p->session, ' ') != NULL ||
	    strncmp(title + 10, p->session, n) != 0 || title[10 + n] != ' ')
		fail("session is not the title's word", title);
	if (p->kind == VTUND_CLIENT_CONNECTING && !p->client)
		fail("a server connecting", title);
	/* The parser's own rule for a device: no blank, no '/'.  (The
	 * kernel's rule, dev_valid_name, also refuses other white space and
	 * ':'; procs_parse_title lets a tab through, harmlessly, since the
	 * device is only compared with the configured tap.) */
	if (strpbrk(p->device, " /") != NULL)
		fail("device is not an interface name", title);
	if (p->device[0] != '\0')
		check_rebuilt(title, p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtund_proc p, q;
	char *title = malloc(size + 1);

	if (title == NULL)
		return 0;
	memcpy(title, data, size);
	title[size] = '\0';
	if (procs_parse_title(title, &p) == 0) {
		check(title, &p);
		if (procs_parse_title(title, &q) != 0 ||
		    memcmp(&p, &q, sizeof(p)) != 0)
			fail("not deterministic", title);
	}
	free(title);
	return 0;
}
