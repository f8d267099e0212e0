/* Unit tests for src/probe.c: the frame format and what is accepted. */
#include <stdlib.h>

#include "probe.h"
#include "unit.h"

static struct probe_frame
sample(void)
{
	struct probe_frame f;

	memset(&f, 0, sizeof(f));
	f.version = 1;
	f.my_id = 0x11223344;
	f.your_id = 0x55667788;
	f.seq = 7;
	f.tx_us = 0x0102030405060708ULL;
	f.echo_us = 42;
	f.hold_us = 1000;
	strcpy(f.session, "lcsr");
	return f;
}

static void
test_round_trip(void)
{
	struct probe_frame f = sample(), g;
	uint8_t buf[PROBE_FRAME_LEN];
	char err[80];

	probe_frame_build(&f, buf);
	/* Link-local group destination: a bridge never forwards it. */
	CHECK(buf[0] == 0x01 && buf[1] == 0x80 && buf[2] == 0xc2 &&
	    buf[3] == 0 && buf[4] == 0 && buf[5] == 0x0e);
	CHECK(buf[12] == 0x88 && buf[13] == 0xb5);
	CHECK_INT(probe_frame_parse(buf, sizeof(buf), &g, err, sizeof(err)),
	    0);
	CHECK_INT(g.my_id, f.my_id);
	CHECK_INT(g.your_id, f.your_id);
	CHECK_INT(g.seq, 7);
	CHECK(g.tx_us == f.tx_us);
	CHECK_INT(g.echo_us, 42);
	CHECK_INT(g.hold_us, 1000);
	CHECK_STR(g.session, "lcsr");
	/* A frame padded by the driver is still a probe. */
	{
		uint8_t big[200];

		memset(big, 0, sizeof(big));
		memcpy(big, buf, sizeof(buf));
		CHECK_INT(probe_frame_parse(big, sizeof(big), &g, err,
		    sizeof(err)), 0);
	}
}

static void
test_rejects(void)
{
	struct probe_frame f = sample(), g;
	uint8_t buf[PROBE_FRAME_LEN], bad[PROBE_FRAME_LEN];
	char err[80];

	probe_frame_build(&f, buf);
	CHECK_INT(probe_frame_parse(buf, 20, &g, err, sizeof(err)), -1);
	CHECK_STR(err, "short frame (20 bytes)");
	memcpy(bad, buf, sizeof(buf));
	bad[5] = 0x0f;			/* another destination */
	CHECK_INT(probe_frame_parse(bad, sizeof(bad), &g, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "not a probe");
	memcpy(bad, buf, sizeof(buf));
	bad[14 + 4] = 2;		/* version */
	CHECK_INT(probe_frame_parse(bad, sizeof(bad), &g, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "probe version 2");
	memcpy(bad, buf, sizeof(buf));
	bad[14 + 41] = '\n';		/* session with a control byte */
	CHECK_INT(probe_frame_parse(bad, sizeof(bad), &g, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "bad session name");
	memcpy(bad, buf, sizeof(buf));
	bad[14 + 71] = 'x';		/* junk after the session's NUL */
	CHECK_INT(probe_frame_parse(bad, sizeof(bad), &g, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "bad session padding");
	f.my_id = 0;
	probe_frame_build(&f, bad);
	CHECK_INT(probe_frame_parse(bad, sizeof(bad), &g, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "sender id 0");
}

static void
test_random_bytes_never_crash(void)
{
	uint8_t buf[PROBE_FRAME_LEN + 10];
	struct probe_frame g;
	char err[80];
	unsigned seed = 1;
	int i, j, accepted = 0;

	for (i = 0; i < 100000; i++) {
		for (j = 0; j < (int)sizeof(buf); j++) {
			seed = seed * 1103515245 + 12345;
			buf[j] = (uint8_t)(seed >> 16);
		}
		accepted += probe_frame_parse(buf, (size_t)(seed % sizeof(buf)),
		    &g, err, sizeof(err)) == 0;
	}
	CHECK_INT(accepted, 0);
}

static void
test_init_ids_differ(void)
{
	struct probe a, b;

	probe_init(&a, "tap0", "lcsr");
	probe_init(&b, "tap0", "lcsr");
	CHECK(a.my_id != 0 && b.my_id != 0 && a.my_id != b.my_id);
	CHECK_INT(a.fd, -1);
	CHECK(probe_loss(&a) < 0);
}

int
main(void)
{
	RUN(test_round_trip);
	RUN(test_rejects);
	RUN(test_random_bytes_never_crash);
	RUN(test_init_ids_differ);
	return unit_done();
}
