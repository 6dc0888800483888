# SPDX-License-Identifier: MIT
# unit.mk: build one Check unit test twice, plain and under ASan+UBSan, and run both.
# The including Makefile sets SRC (its directory), NAME, SRCS (absolute paths),
# SANDEF (the -D that renames the sanitized suite) and optionally CSTD and OPT.
TOP := $(abspath $(SRC)/../../..)
O ?= $(TOP)/build
B := $(O)/tests/unit/$(NAME)
CSTD ?= gnu11
OPT ?= -O1
CFLAGS := -std=$(CSTD) -Wall -Wextra -Werror -g $(OPT) -pthread -I$(TOP)/abi -I$(TOP)/hypervisor/core -I$(TOP)/hypervisor/domain -I$(TOP)/hypervisor/hcall -I$(TOP)/hypervisor/event -I$(TOP)/hypervisor/grant -I$(TOP)/hypervisor/store -I$(TOP)/hypervisor/time -I$(TOP)/hypervisor/boot -I$(TOP)/hypervisor/console \
	-I$(SRC) $(shell pkg-config --cflags check)
LIBS := $(shell pkg-config --libs check) -pthread
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
DEPS := $(SRCS) $(wildcard $(SRC)/*.h $(SRC)/../*.h $(TOP)/hypervisor/*/*.h $(TOP)/abi/lamina/*.h \
	$(TOP)/abi/lamina/io/*.h)

.PHONY: all check-unit clean
all: $(B)/test_$(NAME) $(B)/test_$(NAME)-san

$(B)/test_$(NAME): $(DEPS)
	@mkdir -p $(B)
	$(CC) $(CFLAGS) -o $@ $(SRCS) $(LIBS)

$(B)/test_$(NAME)-san: $(DEPS)
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(SAN) $(SANDEF) -o $@ $(SRCS) $(LIBS)

# Run both builds even if the first fails; fail if either did.
check-unit: all
	@rc=0; \
	CK_VERBOSITY=verbose $(B)/test_$(NAME) || rc=1; \
	CK_VERBOSITY=verbose $(B)/test_$(NAME)-san || rc=1; \
	exit $$rc

clean:
	rm -rf $(B)
