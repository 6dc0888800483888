// SPDX-License-Identifier: MIT
// store_bad_cons/main.c: store_bad with mode=cons (args): a corrupt rsp_cons ends the connection only.
#include "../store_bad/main.c"
