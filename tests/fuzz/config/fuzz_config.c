// SPDX-License-Identifier: MIT
// fuzz_config.c: libFuzzer harness for the domain XML loader (config_load_mem) and its XML writer.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const struct config_env env = { .meminfo_path = MEMINFO };

/* Fail loudly: libFuzzer keeps the input as a crash. */
static void must(int ok, const char *what, const char *detail)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz/config: %s\n%s\n", what, detail ? detail : "");
	abort();
}

/* A loaded config written back as XML loads again to the same fields. */
static void round_trip(const struct dom_config *cfg)
{
	struct dom_config again, copy;
	struct config_err err;
	char *xml = config_to_xml(cfg);

	must(xml != NULL, "config_to_xml failed", NULL);
	must(config_load_mem(xml, strlen(xml), "<rt>", &env, &again, &err) == 0,
	     "a config written by config_to_xml does not load again", err.msg);
	must(!strcmp(again.name, cfg->name) && again.memory_kib == cfg->memory_kib &&
	     again.maxmem_kib == cfg->maxmem_kib && again.vcpus == cfg->vcpus &&
	     again.ndisks == cfg->ndisks && again.nnics == cfg->nnics,
	     "round trip changed the config", xml);
	must(config_copy(&copy, &again) == 0, "config_copy failed", NULL);
	config_free(&copy);
	config_free(&again);
	free(xml);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct dom_config cfg;
	struct config_err err;
	/* An exact-size copy: the loader must read only [0, size). */
	char *buf = malloc(size ? size : 1);

	must(buf != NULL, "out of memory", NULL);
	memcpy(buf, data, size);
	if (config_load_mem(buf, size, "<fuzz>", &env, &cfg, &err) == 0) {
		round_trip(&cfg);
		config_free(&cfg);
	} else {
		must(err.count > 0 && err.len > 0 && err.len < sizeof(err.msg) &&
		     strlen(err.msg) == err.len, "a failed load without a proper message", err.msg);
	}
	free(buf);
	return 0;
}
