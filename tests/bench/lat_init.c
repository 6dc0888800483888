// SPDX-License-Identifier: MIT
// lat_init.c: lat as a guest's PID 1: the console, "@BOOT-INIT", the command line's settings, power off.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lat.h"

/* Up to len - 1 bytes of FILE into buf, NUL-terminated ("" if unreadable). */
static void read_text(const char *file, char *buf, size_t len)
{
	int fd = open(file, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : 0;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* The kernel gives init no console when the initramfs has no
 * /dev/console: mount devtmpfs and make its console stdout and stderr. */
static void console(void)
{
	mkdir("/dev", 0755);    /* the initramfs may hold nothing but /init */
	mkdir("/proc", 0555);
	mount("dev", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

int lat_init(void (*run)(double scale, int exits))
{
	char up[64], cmd[4096];
	const char *s;
	double scale = 1;

	console();
	read_text("/proc/uptime", up, sizeof(up));
	up[strcspn(up, " \n")] = 0;
	printf("\n@BOOT-INIT uptime=%s\n", up);
	read_text("/proc/cmdline", cmd, sizeof(cmd));
	if ((s = strstr(cmd, "lat.scale=")) && atof(s + 10) > 0)
		scale = atof(s + 10);
	run(scale, strstr(cmd, "lat.exits") != NULL);
	printf("@LAT-DONE\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
