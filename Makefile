# vtundfix — keeps vtund layer-2 tunnels alive.
#
#   make            build build/vtundfix and build/vtundctl
#   make check      install dependencies, build, run every test
#   make install    install (DESTDIR, PREFIX honoured)

PREFIX  ?= /usr/local
VERSION := 0.1.0

CC      ?= cc
PKGS    := libnl-route-3.0 libnl-idiag-3.0 libnl-3.0 libsodium libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DVERSION='"$(VERSION)"' $(WARN) \
              $(PKG_CFLAGS) -Isrc $(CFLAGS)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
# Full RELRO, symbols bound at start: hardening, and every worker forked
# from a supervisor that resolved them all (no lazy binding, no copied
# GOT page, on a worker's first outage).
LDHARDEN := -Wl,-z,relro,-z,now

# Every src/*.c except the program entry points forms the library.
MAINS   := src/vtundfix.c src/vtundctl.c
LIBSRC  := $(filter-out $(MAINS),$(sort $(wildcard src/*.c)))
UNITSRC := $(sort $(wildcard tests/unit/test_*.c))
LABSRC  := $(sort $(wildcard tests/lab/t_*.c))
TOOLSRC := $(sort $(wildcard tests/lab/tool_*.c))

OBJ     := $(LIBSRC:src/%.c=build/obj/%.o)
SANOBJ  := $(LIBSRC:src/%.c=build/san/obj/%.o)
UNITBIN := $(UNITSRC:tests/unit/%.c=build/san/%)
LABBIN  := $(LABSRC:tests/lab/%.c=build/san/%)
TOOLBIN := $(TOOLSRC:tests/lab/%.c=build/san/%)

.PHONY: all check deps unit lab vm clean install uninstall demo bench fuzz \
        mutants
all: build/vtundfix build/vtundctl

build/obj/%.o: src/%.c $(wildcard src/*.h) | build/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
build/san/obj/%.o: src/%.c $(wildcard src/*.h) | build/san/obj
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/libvtundfix.a: $(OBJ)
	ar rcs $@ $^
build/san/libvtundfix.a: $(SANOBJ)
	ar rcs $@ $^

build/%: src/%.c build/libvtundfix.a
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $< build/libvtundfix.a $(PKG_LIBS)

# Sanitized programs: the daemon and control tool the lab tests run,
# the unit tests and the lab test programs.
build/san/vtundfix build/san/vtundctl: build/san/%: src/%.c build/san/libvtundfix.a
	$(CC) $(ALL_CFLAGS) $(SAN) $(LDHARDEN) -o $@ $< build/san/libvtundfix.a $(PKG_LIBS)
build/san/test_%: tests/unit/test_%.c tests/unit/unit.h build/san/libvtundfix.a
	$(CC) $(ALL_CFLAGS) $(SAN) -Itests/unit -o $@ $< build/san/libvtundfix.a $(PKG_LIBS)
build/san/t_%: tests/lab/t_%.c tests/unit/unit.h build/san/libvtundfix.a
	$(CC) $(ALL_CFLAGS) $(SAN) -Itests/unit -o $@ $< build/san/libvtundfix.a $(PKG_LIBS)
# Helper programs the lab scripts call (not run as tests themselves).
build/san/tool_%: tests/lab/tool_%.c build/san/libvtundfix.a
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< build/san/libvtundfix.a $(PKG_LIBS)

build/obj build/san/obj:
	mkdir -p $@

deps:
	@./scripts/deps.sh

check: deps
	$(MAKE) all build/san/vtundfix build/san/vtundctl $(UNITBIN) $(LABBIN) $(TOOLBIN)
	./tests/run.sh

# The demo: a real tunnel, broken six ways, repaired live (as root).
demo: deps
	$(MAKE) all
	./demo/demo.sh

# The recovery benchmark against monit and vtund alone (bench/README.md).
bench: deps
	$(MAKE) all
	./bench/bench.sh

# Longer fuzzing than `make check` does (FUZZ_SECONDS per target).
fuzz:
	./fuzz/run.sh $${FUZZ_SECONDS:-300}

unit: $(UNITBIN)
	./tests/run.sh unit

# Deliberate breakages, one at a time, each caught by a named test
# (scripts/mutants.sh, in a copy of the tree; not part of check: about 2 min).
mutants:
	./scripts/mutants.sh

# Install layout (SPEC §10, the seed's file table).  DESTDIR and PREFIX are
# honoured; /etc/vtundfix.conf is never overwritten.
SBINDIR  = $(PREFIX)/sbin
MANDIR   = $(PREFIX)/share/man
UNITDIR  = $(PREFIX)/lib/systemd/system
COMPDIR  = $(PREFIX)/share/bash-completion/completions
DOCDIR   = $(PREFIX)/share/doc/vtundfix
DATADIR  = /var/vtundfix
SUBST    = sed 's|@SBINDIR@|$(SBINDIR)|g'

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)/etc/init.d \
	    $(DESTDIR)/etc/cron.d $(DESTDIR)/etc/logrotate.d \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPDIR) $(DESTDIR)$(DOCDIR)
	install -d -m 0750 $(DESTDIR)$(DATADIR)
	install -m 0755 build/vtundfix build/vtundctl $(DESTDIR)$(SBINDIR)/
	$(SUBST) init/vtundfix_cron >$(DESTDIR)$(SBINDIR)/vtundfix_cron
	chmod 0755 $(DESTDIR)$(SBINDIR)/vtundfix_cron
	$(SUBST) init/vtundfix.init >$(DESTDIR)/etc/init.d/vtundfix
	chmod 0755 $(DESTDIR)/etc/init.d/vtundfix
	$(SUBST) init/vtundfix.cron >$(DESTDIR)/etc/cron.d/vtundfix
	$(SUBST) init/vtundfix.logrotate >$(DESTDIR)/etc/logrotate.d/vtundfix
	$(SUBST) init/vtundfix.service >$(DESTDIR)$(UNITDIR)/vtundfix.service
	chmod 0644 $(DESTDIR)/etc/cron.d/vtundfix \
	    $(DESTDIR)/etc/logrotate.d/vtundfix $(DESTDIR)$(UNITDIR)/vtundfix.service
	install -m 0644 man/vtundfix.8 man/vtundctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/vtundfix.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/vtundctl.bash $(DESTDIR)$(COMPDIR)/vtundctl
	ln -sf vtundctl $(DESTDIR)$(COMPDIR)/vtundfix
	install -m 0644 docs/*.md etc/vtundfix.conf $(DESTDIR)$(DOCDIR)/
	@if [ -e $(DESTDIR)/etc/vtundfix.conf ]; then \
		echo "keeping the existing $(DESTDIR)/etc/vtundfix.conf"; \
	else \
		install -m 0640 etc/vtundfix.conf $(DESTDIR)/etc/vtundfix.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vtundfix $(DESTDIR)$(SBINDIR)/vtundctl \
	    $(DESTDIR)$(SBINDIR)/vtundfix_cron $(DESTDIR)/etc/init.d/vtundfix \
	    $(DESTDIR)/etc/cron.d/vtundfix $(DESTDIR)/etc/logrotate.d/vtundfix \
	    $(DESTDIR)$(UNITDIR)/vtundfix.service \
	    $(DESTDIR)$(MANDIR)/man8/vtundfix.8 $(DESTDIR)$(MANDIR)/man8/vtundctl.8 \
	    $(DESTDIR)$(MANDIR)/man5/vtundfix.conf.5 \
	    $(DESTDIR)$(COMPDIR)/vtundctl $(DESTDIR)$(COMPDIR)/vtundfix
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept /etc/vtundfix.conf and $(DATADIR) (remove them by hand)"

clean:
	rm -rf build

# The Debian package, built from the tree with debhelper (debian/) in a
# copy under build/deb/ (dpkg-buildpackage writes into the parent of the
# source directory), without signing: build/deb/vtundfix_VERSION_ARCH.deb.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB      := build/deb/vtundfix_$(VERSION)_$(DEB_ARCH).deb
DEB_SRC  := $(shell find src man init etc completion docs prometheus debian \
              -type f 2>/dev/null) Makefile
.PHONY: deb
deb: $(DEB)
$(DEB): $(DEB_SRC)
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); \
	if [ "$$v" != "$(VERSION)" ]; then \
		echo "debian/changelog says $$v, the Makefile $(VERSION)" >&2; exit 1; \
	fi
	rm -rf build/deb
	mkdir -p build/deb/vtundfix-$(VERSION)
	@tar -cf - $(DEB_SRC) | tar -C build/deb/vtundfix-$(VERSION) -xf -
	cd build/deb/vtundfix-$(VERSION) && \
	    dpkg-buildpackage -b -us -uc -j2 >../build.log 2>&1 || \
	    { tail -40 ../build.log >&2; exit 1; }
	rm -rf build/deb/vtundfix-$(VERSION)
	@echo "built $(DEB)"
