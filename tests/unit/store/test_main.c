// SPDX-License-Identifier: MIT
// test_main.c: runs the store unit test suites (database, ring service, host API).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"

struct ev evs[64];
int nevs;

void rec_fire(void *arg, uint16_t dom, const char *path, const char *token, void *priv)
{
	(void)arg;
	(void)priv;
	if (nevs == (int)(sizeof(evs) / sizeof(evs[0])))
		return;
	evs[nevs].dom = dom;
	snprintf(evs[nevs].path, sizeof(evs[nevs].path), "%s", path);
	snprintf(evs[nevs].token, sizeof(evs[nevs].token), "%s", token);
	nevs++;
}

void rec_reset(void) { nevs = 0; }

int rec_find(uint16_t dom, const char *path, const char *token)
{
	for (int i = 0; i < nevs; i++)
		if (evs[i].dom == dom && !strcmp(evs[i].path, path) && !strcmp(evs[i].token, token))
			return i;
	return -1;
}

int main(void)
{
	SRunner *sr = srunner_create(db_suite());

	srunner_add_suite(sr, svc_suite());
	srunner_add_suite(sr, host_suite());
	srunner_add_suite(sr, ceiling_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
