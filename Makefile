# SPDX-License-Identifier: MIT
# Lamina top-level build: make, make run, make check, make bench, make fuzz, make deps.
O := $(CURDIR)/build
COMPONENTS := $(patsubst %/Makefile,%,$(wildcard abi/Makefile hypervisor/Makefile toolstack/Makefile tests/guests/Makefile tests/e2e/Makefile tests/unit/*/Makefile))
export O

.PHONY: all deps run check bench fuzz clean guest
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

bench: all
	@tools/bench

# The long fuzz campaign: FUZZ_SECONDS (3600) per harness (tests/fuzz/README.md).
fuzz: deps
	@$(MAKE) --no-print-directory -C tests/fuzz O=$(O) fuzz

clean:
	rm -rf $(O)
