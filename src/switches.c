/*
 * switches: parse and apply `vtundfix on|off ...`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switches.h"

/* "tap0", "vlan763" or "763": the tap line it names, or NULL. */
static const struct tap_conf *
find_target(const struct config *conf, const char *word)
{
	const char *digits = word;
	char *end;
	long vid;
	size_t i;

	if (config_find_tap(conf, word) != NULL)
		return config_find_tap(conf, word);
	if (strncmp(word, "vlan", 4) == 0)
		digits = word + 4;
	if (*digits < '0' || *digits > '9')
		return NULL;
	errno = 0;
	vid = strtol(digits, &end, 10);
	if (*end != '\0' || errno != 0)
		return NULL;
	for (i = 0; i < conf->ntaps; i++)
		if (conf->taps[i].vlan_id != 0 && conf->taps[i].vlan_id == vid)
			return &conf->taps[i];
	return NULL;
}

static int
parse_scope(const char *word)
{
	if (strcmp(word, "local") == 0)
		return SCOPE_LOCAL;
	if (strcmp(word, "remote") == 0)
		return SCOPE_REMOTE;
	if (strcmp(word, "both") == 0)
		return SCOPE_BOTH;
	return 0;
}

static int
looks_like_target(const char *word)
{
	return strncmp(word, "tap", 3) == 0 || strncmp(word, "vlan", 4) == 0 ||
	    (*word >= '0' && *word <= '9');
}

static void
select_all(struct switch_request *req)
{
	int i;

	for (i = 0; i < SW_MAX; i++)
		req->sw[i] = 1;
}

int
switches_parse(const struct config *conf, int on, int argc, char *argv[],
    struct switch_request *req, char *err, size_t errlen)
{
	int i, sw, got_sw = 0, got_tap = 0;

	memset(req, 0, sizeof(*req));
	req->on = on;
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		sw = strcmp(w, "all") == 0 ? SW_MAX : switch_parse(w);
		if (parse_scope(w) != 0 && req->scope == 0) {
			req->scope = parse_scope(w);
		} else if (sw != -1 && !got_sw) {
			got_sw = 1;
			if (sw == SW_MAX)
				select_all(req);
			else
				req->sw[sw] = 1;
		} else if (find_target(conf, w) != NULL && !got_tap) {
			got_tap = 1;
			req->tap = find_target(conf, w);
		} else if (looks_like_target(w) && !got_tap) {
			snprintf(err, errlen, "%s: no such tap or VLAN in %s",
			    w, conf->path);
			return -1;
		} else {
			snprintf(err, errlen, "unexpected \"%s\"", w);
			return -1;
		}
	}
	if (req->scope == 0)
		req->scope = SCOPE_BOTH;
	if (!got_sw)
		select_all(req);
	return 0;
}

static int
apply_one(struct datafile *df, void *arg)
{
	const struct switch_request *req = arg;
	int i, changed = 0;

	for (i = 0; i < SW_MAX; i++) {
		if (req->sw[i] && df->sw[i] != req->on) {
			df->sw[i] = req->on;
			changed = 1;
		}
	}
	return changed;
}

static int
apply_tap(const struct config *conf, const struct tap_conf *tap,
    const struct switch_request *req, FILE *out)
{
	char path[PATH_MAX + 64], list[128] = "";
	int i;

	if (datafile_path(conf->data_dir, tap->tap, path, sizeof(path)) == -1 ||
	    datafile_update(path, apply_one, (void *)req) == -1) {
		fprintf(stderr, "vtundfix: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < SW_MAX; i++) {
		if (!req->sw[i])
			continue;
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", list[0] ? " " : "", switch_name(i));
	}
	fprintf(out, "%s: %s %s (local)\n", tap->tap, list,
	    req->on ? "on" : "off");
	return 0;
}

int
switches_apply_local(const struct config *conf,
    const struct switch_request *req, FILE *out)
{
	size_t i;
	int rc = 0;

	if (req->tap != NULL)
		return apply_tap(conf, req->tap, req, out);
	for (i = 0; i < conf->ntaps; i++)
		if (apply_tap(conf, &conf->taps[i], req, out) == -1)
			rc = -1;
	return rc;
}

int
switches_set(const struct config *conf, const char *tap, enum switch_id sw,
    int on)
{
	struct switch_request req;
	char path[PATH_MAX + 64];

	memset(&req, 0, sizeof(req));
	req.on = on;
	req.sw[sw] = 1;
	if (datafile_path(conf->data_dir, tap, path, sizeof(path)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return datafile_update(path, apply_one, &req);
}
