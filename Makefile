# SPDX-License-Identifier: MIT
# Lamina top-level build: make, make run, make check, make bench, make fuzz, make stress, make deps, make install.
O := $(CURDIR)/build
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
# Device back-ends (lamina-blkback); laminad finds them in ../libexec/lamina from its own directory.
LIBEXECDIR := $(PREFIX)/libexec/lamina
MANDIR := $(PREFIX)/share/man
DATADIR := $(PREFIX)/share/lamina
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
COMPONENTS := $(patsubst %/Makefile,%,$(wildcard abi/Makefile hypervisor/Makefile toolstack/Makefile pvdrivers/lib/Makefile pvdrivers/blk/Makefile pvdrivers/net/Makefile pvdrivers/console/Makefile tests/guests/Makefile tests/e2e/Makefile tests/unit/*/Makefile))
export O

.PHONY: all deps run check bench fuzz stress clean guest install kernel shell
all: deps
	@set -e; for d in $(COMPONENTS); do $(MAKE) --no-print-directory -C $$d O=$(O) all; done

deps:
	@tools/deps

run: all
	-@$(MAKE) --no-print-directory guest
	@tools/run-default

# The Linux guest (kernel + initramfs), cached in ~/.cache/lamina, into $(O)/guest.
guest: deps
	@tools/build-guest --install $(O)/guest > /dev/null

check: deps
	-@$(MAKE) --no-print-directory guest
	@tests/check

# make bench BENCH_ARGS="--size small --configs ..." passes options to tools/bench (tools/bench --help).
bench: all
	@tools/bench $(BENCH_ARGS)

# A shell inside the testbed (for hosts without VT-x/SVM; natively where KVM
# is real) with lamina, laminad and the guest kernel: `lamina create -c
# examples/minimal.xml` works there. `poweroff` leaves.
shell: all guest
	@tests/runner/make-shell-payload $(O) $(O)/shell-payload
	@tests/runner/lamina-run --interactive --timeout $${LAMINA_SHELL_TIMEOUT:-14400} \
		--payload $(O)/shell-payload -- sh shell.sh

# Where the guest kernel and initramfs are (building them if needed), for
# domain files: examples/ use them through examples/guest -> ../build/guest.
kernel: guest
	@echo "kernel    $(O)/guest/bzImage"; echo "initramfs $(O)/guest/initramfs.cpio"

# Binaries, man pages, the schema and examples, a systemd unit for laminad
# and bash completion, under $(DESTDIR)$(PREFIX).
install:
	@$(MAKE) --no-print-directory -C toolstack O=$(O) all
	@$(MAKE) --no-print-directory -C pvdrivers/blk O=$(O) all
	@$(MAKE) --no-print-directory -C pvdrivers/net O=$(O) all
	@$(MAKE) --no-print-directory -C pvdrivers/console O=$(O) all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(COMPDIR)
	install -m 755 $(O)/toolstack/lamina $(O)/toolstack/laminad \
		$(O)/hypervisor/hvd/lamina-hvd $(O)/pvdrivers/console/lamina-console $(DESTDIR)$(BINDIR)
	install -m 755 $(O)/pvdrivers/blk/lamina-blkback $(O)/pvdrivers/net/lamina-netback \
		$(O)/pvdrivers/net/lamina-netswitch $(DESTDIR)$(LIBEXECDIR)
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 docs/man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 docs/man/*.8 $(DESTDIR)$(MANDIR)/man8
	install -m 644 docs/domain.rng docs/network.rng docs/laminad-api.md $(DESTDIR)$(DATADIR)
	install -m 644 examples/*.xml $(DESTDIR)$(DATADIR)/examples
	sed 's|@BINDIR@|$(BINDIR)|g' toolstack/dist/laminad.service.in > $(DESTDIR)$(UNITDIR)/laminad.service
	chmod 644 $(DESTDIR)$(UNITDIR)/laminad.service
	install -m 644 toolstack/dist/lamina.bash $(DESTDIR)$(COMPDIR)/lamina

# The long fuzz campaign: FUZZ_SECONDS (3600) per harness (tests/fuzz/README.md).
fuzz: deps
	@$(MAKE) --no-print-directory -C tests/fuzz O=$(O) fuzz

# The long crash rounds: tests/e2e/blk_crash.sh with STRESS_ROUNDS (50)
# kills of the block back-end and 50 of the hypervisor process, in the
# testbed (natively where KVM is real), one RESULT blk/crash line.
stress: all
	@bash tests/guest-suite/make-payload $(O) $(O)/stress-payload
	@tests/runner/lamina-run --payload $(O)/stress-payload --timeout $${LAMINA_STRESS_TIMEOUT:-7200} \
		--name stress -- env LAMINA_BLK_CRASH_ROUNDS=$${STRESS_ROUNDS:-50} sh e2e/blk_crash.sh

clean:
	rm -rf $(O)
