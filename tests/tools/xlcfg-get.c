/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xlcfg-get FILE KEY...: read an xl config file with Xen's own parser (libxlutil) and print
 * what it makes of each key, one line per key, for shell tests that must not trust our writer:
 *   a string or number   its value
 *   a list               its items joined with " | "
 *   disk:N               item N of disk as xlu_disk_parse() sees it:
 *                        "target=T vdev=V format=F access=rw|ro cdrom=0|1"
 * A key that is not set prints "(unset)". Exit 1 when the file does not parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxlutil.h>

static void print_disk(XLU_Config *cfg, int idx)
{
	XLU_ConfigList *list;
	libxl_device_disk disk;
	const char *spec;
	int n = 0;

	if (xlu_cfg_get_list(cfg, "disk", &list, &n, 0) != 0 || idx >= n) {
		puts("(unset)");
		return;
	}
	spec = xlu_cfg_get_listitem(list, idx);
	libxl_device_disk_init(&disk);
	if (xlu_disk_parse(cfg, 1, &spec, &disk) != 0) {
		puts("(unparsable)");
		exit(1);
	}
	printf("target=%s vdev=%s format=%s access=%s cdrom=%d\n",
	       disk.pdev_path ? disk.pdev_path : "", disk.vdev ? disk.vdev : "",
	       libxl_disk_format_to_string(disk.format), disk.readwrite ? "rw" : "ro",
	       disk.is_cdrom);
	libxl_device_disk_dispose(&disk);
}

int main(int argc, char **argv)
{
	XLU_Config *cfg;

	if (argc < 3) {
		fprintf(stderr, "usage: xlcfg-get FILE KEY...\n");
		return 2;
	}
	cfg = xlu_cfg_init(stderr, argv[1]);
	if (!cfg || xlu_cfg_readfile(cfg, argv[1]) != 0)
		return 1;
	for (int i = 2; i < argc; i++) {
		XLU_ConfigList *list;
		const char *s;
		long l;
		int n;

		if (strncmp(argv[i], "disk:", 5) == 0) {
			print_disk(cfg, atoi(argv[i] + 5));
		} else if (xlu_cfg_get_string(cfg, argv[i], &s, 1) == 0) {
			puts(s);
		} else if (xlu_cfg_get_long(cfg, argv[i], &l, 1) == 0) {
			printf("%ld\n", l);
		} else if (xlu_cfg_get_list(cfg, argv[i], &list, &n, 1) == 0) {
			for (int k = 0; k < n; k++)
				printf("%s%s", k ? " | " : "", xlu_cfg_get_listitem(list, k));
			putchar('\n');
		} else {
			puts("(unset)");
		}
	}
	xlu_cfg_destroy(cfg);
	return 0;
}
