// SPDX-License-Identifier: MIT
// store_bad_cons/xs.c: the store client, shared with the store tester.
#include "../store/xs.c"
