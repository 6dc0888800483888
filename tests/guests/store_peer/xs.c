// SPDX-License-Identifier: MIT
// store_peer/xs.c: the store client, shared with the store tester.
#include "../store/xs.c"
