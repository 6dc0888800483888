// SPDX-License-Identifier: MIT
// store_bad/xs.c: the store client, shared with the store tester.
#include "../store/xs.c"
