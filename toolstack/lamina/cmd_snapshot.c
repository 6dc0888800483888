// SPDX-License-Identifier: MIT
// lamina snapshot-create/-list/-revert/-delete: internal snapshots of a domain's qcow2 disk, through qemu-img, while the domain is shut off (listing also while paused).
#include "lamina.h"
#include "config.h"
#include "snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// Run qemu-img (found on PATH, or $LAMINA_QEMU_IMG); its exit status or EXIT_FAIL.
static int run_qemu_img(const char *argv[SNAP_ARGV_MAX])
{
	const char *exe = getenv("LAMINA_QEMU_IMG");
	int st;
	pid_t pid = fork();

	if (pid < 0) {
		err_msg("fork: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		execvp(exe && *exe ? exe : "qemu-img", (char *const *)argv);
		fprintf(stderr, "lamina: cannot run qemu-img (Debian package qemu-utils): %s\n",
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAIL;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? EXIT_OK : EXIT_FAIL;
}

// The domain's state and configuration from laminad (LP_INFO); 0 or an exit code.
static int domain_facts(const char *name, uint32_t *state, struct dom_config *cfg)
{
	struct config_env env = { .skip_host_memory = true };
	struct config_err err;
	struct lp_msg m;
	const char *xml;
	int fd, rc;

	if ((fd = cl_connect(false)) < 0)
		return EXIT_FAIL;
	rc = cl_named(fd, LP_INFO, name, &m);
	close(fd);
	if (rc)
		return rc;
	*state = ((const struct lp_info *)m.payload)->st.state;
	xml = (const char *)m.payload + sizeof(struct lp_info);
	rc = config_load_mem(xml, strlen(xml), "<laminad>", &env, cfg, &err);
	if (rc)
		err_msg("laminad sent a configuration that does not load:\n%s", err.msg);
	lp_msg_free(&m);
	return rc ? EXIT_FAIL : 0;
}

// Check everything, then run qemu-img on the disk's image.
static int snapshot(enum snap_op op, const char *cmd, const char *dom, const char *target,
		    const char *name)
{
	const char *argv[SNAP_ARGV_MAX], *why;
	const struct dom_disk *dk;
	struct dom_config cfg;
	uint32_t state;
	char buf[512];
	int rc;

	if (name && (why = snap_name_problem(name))) {
		err_msg("%s: %s", cmd, why);
		return EXIT_USAGE;
	}
	if ((rc = domain_facts(dom, &state, &cfg)))
		return rc;
	if (!(dk = snap_disk(&cfg, target, buf, sizeof(buf))) || (why = snap_state_problem(op, state))) {
		err_msg("%s: %s", cmd, dk ? why : buf);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	snap_argv(op, state, dk->source, name, argv);
	rc = run_qemu_img(argv);
	if (rc == EXIT_OK && op != SNAP_LIST)
		printf("%s snapshot '%s' of %s (%s).\n", op == SNAP_CREATE ? "Created" :
		       op == SNAP_REVERT ? "Reverted to" : "Deleted", name, target, dk->source);
	config_free(&cfg);
	return rc;
}

int cmd_snapshot(const struct cmd *self, int argc, char **argv)
{
	int op = snap_op_of(self->name);

	if (op < 0 || simple_args(self, argc, argv, op == SNAP_LIST ? 2 : 3) < 0)
		return EXIT_USAGE;
	return snapshot((enum snap_op)op, self->name, argv[optind], argv[optind + 1],
			op == SNAP_LIST ? NULL : argv[optind + 2]);
}
