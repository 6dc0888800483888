# SPDX-License-Identifier: MIT
# guest.mk: how freestanding Lamina test guests are compiled and linked; set G (this directory) first.
GCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pie -fno-pic \
	-fno-stack-protector -mno-red-zone -mgeneral-regs-only -fno-builtin \
	-fno-asynchronous-unwind-tables -I $(G)/lib -I $(G)/../../abi
LDFLAGS_G := -nostdlib -static -no-pie -Wl,-T,$(G)/lib/guest.ld -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
LIB_OBJS := $(O)/guests/lib/entry.o $(O)/guests/lib/rt.o $(O)/guests/lib/printf.o
