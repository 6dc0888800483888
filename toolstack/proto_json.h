// SPDX-License-Identifier: MIT
// The JSON form of laminad's replies (docs/laminad-api.md), shared by laminad and lamina --json.
#ifndef LAMINA_PROTO_JSON_H
#define LAMINA_PROTO_JSON_H

#include "proto.h"

#include <json-c/json.h>

// One domain's state and counters as a JSON object (new reference).
struct json_object *lpj_stats(const struct lp_dom_stats *st);
// The "result" object for a checked binary reply of `type` (LP_REPLY_OK,
// _VERSION, _LIST, _INFO, _TEXT, _NETWORK_LIST); NULL for any other type.  New reference.
struct json_object *lpj_result(uint16_t type, const uint8_t *payload, uint32_t len);
// {"code": "ENOENT", "errno": 2, "message": msg} (new reference).
struct json_object *lpj_error(int code, const char *msg);

#endif
