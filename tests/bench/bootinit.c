// SPDX-License-Identifier: MIT
// bootinit.c: PID 1 of the boot-time benchmark's initramfs: say it started (with the kernel's uptime) and power off.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

/*
 * The kernel gives init no console when the initramfs has no /dev/console,
 * so this mounts devtmpfs and opens it. The line it prints, "@BOOT-INIT
 * uptime=SECONDS", is what the host-side timer (boottime.c) waits for.
 */
int main(void)
{
	char up[64] = "?";
	int fd;

	mount("dev", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	if ((fd = open("/proc/uptime", O_RDONLY)) >= 0) {
		ssize_t n = read(fd, up, sizeof(up) - 1);
		up[n > 0 ? n : 0] = 0;
		up[strcspn(up, " \n")] = 0;
		close(fd);
	}
	if ((fd = open("/dev/console", O_WRONLY)) >= 0) {
		dprintf(fd, "\n@BOOT-INIT uptime=%s\n", up);
		fsync(fd);
	}
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
