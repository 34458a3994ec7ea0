/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Every xl config hv_domcfg_to_xl() writes is read back with Xen's own parser (libxlutil:
 * xlu_cfg_readdata, xlu_cfg_get_*, xlu_disk_parse) and compared value by value with what was
 * asked for. libxlutil has no vif parser, so vif specs are split here (xl itself checks them
 * in the cross-check, tests/xlshim/xl-crosscheck.py).
 */

#include <libxlutil.h>
#include <stdio.h>

#include "common/diag.h"
#include "tests/unit/hv-samples.h"
#include "tests/unit/test.h"

static XLU_Config *parse_back(const char *text)
{
	XLU_Config *cfg = xlu_cfg_init(stderr, "rendered.cfg");

	ASSERT_NOT_NULL(cfg);
	ASSERT_EQ(xlu_cfg_readdata(cfg, text, (int) strlen(text)), 0);
	return cfg;
}

static const char *get_str(XLU_Config *cfg, const char *key)
{
	const char *v = NULL;

	if (xlu_cfg_get_string(cfg, key, &v, 0) != 0)
		return NULL;
	return v;
}

static long get_long(XLU_Config *cfg, const char *key)
{
	long v = -1;

	ASSERT_EQ(xlu_cfg_get_long(cfg, key, &v, 0), 0);
	return v;
}

/* Value of key in a "k=v, k=v" vif spec, in a static buffer; NULL when absent. */
static const char *vif_get(const char *spec, const char *key)
{
	static char buf[256];
	size_t kl = strlen(key);

	for (const char *p = spec; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, ",");
		if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			ASSERT_TRUE(n - kl - 1 < sizeof(buf));
			memcpy(buf, p + kl + 1, n - kl - 1);
			buf[n - kl - 1] = '\0';
			while (n - kl - 1 > 0 && buf[strlen(buf) - 1] == ' ')
				buf[strlen(buf) - 1] = '\0';
			return buf;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* Render c, parse it back with libxlutil, compare every field; returns the text. */
static char *check_roundtrip(const struct hv_domcfg *c)
{
	struct diag d = DIAG_INIT;
	XLU_ConfigList *list;
	XLU_Config *cfg;
	char *text = NULL;
	int n;

	ASSERT_OK(hv_domcfg_to_xl(c, "written by a test\n\nsecond paragraph", &text, &d));
	ASSERT_EQ(d.n, 0);
	cfg = parse_back(text);

	ASSERT_STREQ(get_str(cfg, "name"), c->name);
	ASSERT_STREQ(get_str(cfg, "type"), hv_type_to_string(c->type));
	if (c->kernel)
		ASSERT_STREQ(get_str(cfg, "kernel"), c->kernel);
	else
		ASSERT_NULL(get_str(cfg, "kernel"));
	if (c->ramdisk)
		ASSERT_STREQ(get_str(cfg, "ramdisk"), c->ramdisk);
	else
		ASSERT_NULL(get_str(cfg, "ramdisk"));
	if (c->cmdline)
		ASSERT_STREQ(get_str(cfg, "cmdline"), c->cmdline);
	ASSERT_NULL(get_str(cfg, "extra")); /* one way only: xl warns when mixed */
	ASSERT_EQ(get_long(cfg, "memory"), c->memory_mib);
	if (c->maxmem_mib && c->maxmem_mib != c->memory_mib)
		ASSERT_EQ(get_long(cfg, "maxmem"), c->maxmem_mib);
	else
		ASSERT_NULL(get_str(cfg, "maxmem"));
	ASSERT_EQ(get_long(cfg, "vcpus"), c->vcpus);
	if (c->cpus)
		ASSERT_STREQ(get_str(cfg, "cpus"), c->cpus);
	if (c->type == HV_TYPE_HVM) {
		if (c->firmware)
			ASSERT_STREQ(get_str(cfg, "firmware"), c->firmware);
		if (c->boot)
			ASSERT_STREQ(get_str(cfg, "boot"), c->boot);
		if (c->serial)
			ASSERT_STREQ(get_str(cfg, "serial"), c->serial);
		else
			ASSERT_NULL(get_str(cfg, "serial"));
		ASSERT_EQ(get_long(cfg, "vnc"), c->vnc);
	} else {
		ASSERT_NULL(get_str(cfg, "boot"));
		ASSERT_NULL(get_str(cfg, "firmware"));
		ASSERT_NULL(get_str(cfg, "serial"));
	}
	ASSERT_STREQ(get_str(cfg, "on_poweroff"), hv_action_to_string(c->on_poweroff));
	ASSERT_STREQ(get_str(cfg, "on_reboot"), hv_action_to_string(c->on_reboot));
	ASSERT_STREQ(get_str(cfg, "on_crash"), hv_action_to_string(c->on_crash));

	n = 0;
	ASSERT_EQ(xlu_cfg_get_list(cfg, "disk", &list, &n, 0), 0);
	ASSERT_EQ(n, c->n_disks);
	for (int i = 0; i < n; i++) {
		const char *spec = xlu_cfg_get_listitem(list, i);
		libxl_device_disk disk;

		libxl_device_disk_init(&disk);
		ASSERT_EQ(xlu_disk_parse(cfg, 1, &spec, &disk), 0);
		ASSERT_STREQ(disk.pdev_path, c->disks[i].target);
		ASSERT_STREQ(disk.vdev, c->disks[i].vdev);
		ASSERT_EQ(disk.format, LIBXL_DISK_FORMAT_RAW);
		ASSERT_EQ(disk.readwrite, c->disks[i].writable);
		ASSERT_EQ(disk.is_cdrom, c->disks[i].cdrom);
		ASSERT_EQ(disk.removable, c->disks[i].cdrom);
		libxl_device_disk_dispose(&disk);
	}

	n = 0;
	ASSERT_EQ(xlu_cfg_get_list(cfg, "vif", &list, &n, 0), 0);
	ASSERT_EQ(n, c->n_nics);
	for (int i = 0; i < n; i++) {
		const char *spec = xlu_cfg_get_listitem(list, i);
		char mac[18];

		ASSERT_STREQ(vif_get(spec, "mac"), format_mac(c->nics[i].mac, mac));
		ASSERT_STREQ(vif_get(spec, "bridge"), c->nics[i].bridge);
		if (c->nics[i].model)
			ASSERT_STREQ(vif_get(spec, "model"), c->nics[i].model);
		else
			ASSERT_NULL(vif_get(spec, "model"));
		if (c->nics[i].ioemu)
			ASSERT_STREQ(vif_get(spec, "type"), "ioemu");
		else
			ASSERT_NULL(vif_get(spec, "type"));
	}
	xlu_cfg_destroy(cfg);
	diag_release(&d);
	return text;
}

TEST(seed_boot)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	_cleanup_(freep) char *text = NULL;
	const char *spec;
	libxl_device_disk disk;
	XLU_ConfigList *list;
	XLU_Config *cfg;

	sample_seed_boot(&c);
	text = check_roundtrip(&c);
	/* And against the seed's literal values, not only against the struct. */
	cfg = parse_back(text);
	ASSERT_STREQ(get_str(cfg, "name"), "xenik");
	ASSERT_STREQ(get_str(cfg, "type"), "pv");
	ASSERT_STREQ(get_str(cfg, "kernel"), "/boot/xenu-linux-2.6.16.33-xenu");
	ASSERT_STREQ(get_str(cfg, "cmdline"), "root=/dev/xvda1 ro");
	ASSERT_EQ(get_long(cfg, "memory"), 128);
	ASSERT_EQ(xlu_cfg_get_list(cfg, "vif", &list, NULL, 0), 0);
	ASSERT_STREQ(xlu_cfg_get_listitem(list, 0), "mac=00:16:3e:05:30:71, bridge=br53");
	ASSERT_EQ(xlu_cfg_get_list(cfg, "disk", &list, NULL, 0), 0);
	spec = xlu_cfg_get_listitem(list, 0);
	ASSERT_STREQ(spec, "format=raw, vdev=xvda1, access=rw, target=/dev/fc/fc-p1d1p13");
	libxl_device_disk_init(&disk);
	ASSERT_EQ(xlu_disk_parse(cfg, 1, &spec, &disk), 0);
	ASSERT_STREQ(disk.pdev_path, "/dev/fc/fc-p1d1p13");
	ASSERT_STREQ(disk.vdev, "xvda1");
	ASSERT_EQ(disk.readwrite, 1);
	libxl_device_disk_dispose(&disk);
	ASSERT_STREQ(get_str(cfg, "on_reboot"), "restart");
	xlu_cfg_destroy(cfg);
}

TEST(seed_install)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *text = NULL;
	XLU_Config *cfg;

	ASSERT_OK(sample_seed_install(&c, &d));
	text = check_roundtrip(&c);
	cfg = parse_back(text);
	ASSERT_STREQ(get_str(cfg, "kernel"), "/boot/xenu-linux-2.6.16.33-xenuboot");
	ASSERT_STREQ(get_str(cfg, "cmdline"),
		     "root=/dev/nfs nfsroot=147.228.53.154:/srv/fai/nfsroot,vers=3 "
		     "ip=147.228.53.71:147.228.53.154:147.228.53.1:255.255.255.0:xenik:eth0:off "
		     "FAI_ACTION=install FAI_FLAGS=verbose,debug,createvt "
		     "FAI_CONFIG_SRC=nfs://147.228.53.154/srv/fai/config "
		     "FAI_LOCATION=147.228.53.154:/usr/local/share/fai.dev "
		     "FLAGS=verbose,debug,createvt");
	ASSERT_STREQ(get_str(cfg, "on_reboot"), "destroy");
	ASSERT_STREQ(get_str(cfg, "name"), "xenik");
	ASSERT_EQ(get_long(cfg, "memory"), 128);
	xlu_cfg_destroy(cfg);
}

TEST(fai6_install)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;

	ASSERT_OK(sample_fai6_install(&c, &d));
	free(check_roundtrip(&c));
}

TEST(hvm)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	_cleanup_(freep) char *text = NULL;

	sample_hvm(&c);
	text = check_roundtrip(&c);
	ASSERT_NOT_NULL(strstr(text, "\"format=raw, vdev=hdc, access=ro, devtype=cdrom, "
				     "target=/srv/iso/debian-12.iso\""));
	ASSERT_NOT_NULL(strstr(text, "\"mac=00:16:3e:05:30:72, bridge=br53, type=ioemu, "
				     "model=rtl8139\""));
}

TEST(escaping)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	_cleanup_(freep) char *text = NULL;

	sample_awkward(&c);
	text = check_roundtrip(&c);
	ASSERT_NOT_NULL(strstr(text, "kernel = \"/srv/boot/my kernel\\\\v2\"\n"));
	ASSERT_NOT_NULL(strstr(text, "init=\\\"/bin/sh -c 'echo hi'\\\" x=a\\\\b\"\n"));
	ASSERT_TRUE(strncmp(text, "# written by a test\n#\n# second paragraph\nname = ", 48) == 0);
}

TEST(header_newlines_survive)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *text = NULL;
	XLU_Config *cfg;

	sample_seed_boot(&c);
	/* A header line that looks like a setting stays a comment. */
	ASSERT_OK(hv_domcfg_to_xl(&c, "x\nmemory = 999\n", &text, &d));
	cfg = parse_back(text);
	ASSERT_EQ(get_long(cfg, "memory"), 128);
	xlu_cfg_destroy(cfg);
}

/* Each broken config is refused with the given message and nothing is rendered. */
static void expect_refused(struct hv_domcfg *c, const char *msg)
{
	struct diag d = DIAG_INIT;
	char *text = NULL, *json = NULL;
	bool found = false;

	ASSERT_ERR(hv_domcfg_to_xl(c, NULL, &text, &d), EINVAL);
	ASSERT_NULL(text);
	for (size_t i = 0; i < d.n; i++) {
		if (streq(d.v[i].msg, msg))
			found = true;
		else
			fprintf(stderr, "other message: %s\n", d.v[i].msg);
	}
	if (!found)
		TEST__FAIL("no message '%s'", msg);
	diag_clear(&d);
	ASSERT_ERR(hv_domcfg_to_json(c, &json, &d), EINVAL);
	ASSERT_NULL(json);
	ASSERT_TRUE(d.n_errors > 0);
	diag_release(&d);
	hv_domcfg_release(c);
}

TEST(refused)
{
	struct hv_domcfg c;

	sample_seed_boot(&c);
	free(c.cmdline);
	c.cmdline = strdup("root=/dev/xvda1\001");
	expect_refused(&c, "domain 'xenik': cmdline contains byte 0x01, which an xl config file "
			   "cannot hold");

	sample_seed_boot(&c);
	free(c.cmdline);
	c.cmdline = strdup("root=/dev/xvda1\nro");
	expect_refused(&c, "domain 'xenik': the kernel command line may not contain control "
			   "characters");

	sample_seed_boot(&c);
	free(c.cmdline);
	c.cmdline = calloc(1, 1100);
	memset(c.cmdline, 'x', 1099);
	expect_refused(&c, "domain 'xenik': the kernel command line is 1099 bytes, Xen takes at "
			   "most 1023");

	sample_seed_boot(&c);
	free(c.kernel);
	c.kernel = NULL;
	expect_refused(&c, "domain 'xenik': kernel is missing");

	sample_seed_boot(&c);
	free(c.kernel);
	c.kernel = strdup("vmlinuz");
	expect_refused(&c, "domain 'xenik': kernel 'vmlinuz' is not an absolute path");

	sample_seed_boot(&c);
	free(c.name);
	c.name = strdup("two words");
	expect_refused(&c,
		       "invalid domain name 'two words': use letters, digits, '-', '_' and '.'");

	sample_seed_boot(&c);
	c.memory_mib = 0;
	expect_refused(&c, "domain 'xenik': memory 0 MiB is out of range (1..16777216)");

	sample_seed_boot(&c);
	c.maxmem_mib = 64;
	expect_refused(&c, "domain 'xenik': maxmem 64 MiB must be between memory and 16777216");

	sample_seed_boot(&c);
	c.vcpus = 0;
	expect_refused(&c, "domain 'xenik': vcpus 0 is out of range (1..512)");

	sample_seed_boot(&c);
	c.cpus = strdup("3-1");
	expect_refused(&c, "domain 'xenik': invalid cpus '3-1': want CPU numbers and ranges below "
			   "4096, like '0-3,6'");

	sample_seed_boot(&c);
	c.boot = strdup("dc");
	expect_refused(&c,
		       "domain 'xenik': firmware, boot, serial and vnc are for HVM guests only");

	sample_seed_boot(&c);
	free(c.disks[0].vdev);
	c.disks[0].vdev = strdup("xvda1, target=/etc/shadow");
	expect_refused(&c, "domain 'xenik': disk 1 vdev 'xvda1, target=/etc/shadow' may not "
			   "contain white space");

	sample_seed_boot(&c);
	free(c.nics[0].bridge);
	c.nics[0].bridge = strdup("br53,script=/tmp/x");
	expect_refused(&c, "domain 'xenik': vif 1 bridge 'br53,script=/tmp/x' may not contain ',', "
			   "'=', quotes or '\\'");

	sample_seed_boot(&c);
	c.nics[0].mac[0] = 0x01;
	expect_refused(&c, "domain 'xenik': vif 1 MAC 01:16:3e:05:30:71 is a multicast address");

	sample_seed_boot(&c);
	c.disks[0].cdrom = true;
	expect_refused(&c, "domain 'xenik': disk 1: a cdrom needs an HVM guest");

	sample_hvm(&c);
	free(c.boot);
	c.boot = strdup("dx");
	expect_refused(&c, "domain 'winhvm': boot order 'dx' must be 1 to 4 of the letters a, c, "
			   "d, n");

	sample_hvm(&c);
	free(c.disks[1].vdev);
	c.disks[1].vdev = strdup("hda");
	expect_refused(&c, "domain 'winhvm': disks 1 and 2 both use vdev 'hda'");

	sample_hvm(&c);
	free(c.firmware);
	c.firmware = strdup("coreboot");
	expect_refused(&c,
		       "domain 'winhvm': firmware (bios, uefi, seabios, rombios, ovmf or a path) "
		       "'coreboot' is not an absolute path");

	sample_hvm(&c);
	c.on_crash = 42;
	expect_refused(&c, "domain 'winhvm': invalid on_crash action 42");
}

TEST(header_comment_control_char)
{
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	char *text = NULL;

	sample_seed_boot(&c);
	ASSERT_ERR(hv_domcfg_to_xl(&c, "bad\rcomment", &text, &d), EINVAL);
	ASSERT_NULL(text);
	ASSERT_STREQ(d.v[0].msg, "domain 'xenik': the header comment contains byte 0x0d");
}

TEST(enum_strings)
{
	for (int i = 0; i < _HV_ACTION_MAX; i++)
		ASSERT_EQ(hv_action_from_string(hv_action_to_string(i)), i);
	for (int i = 0; i < _HV_TYPE_MAX; i++)
		ASSERT_EQ(hv_type_from_string(hv_type_to_string(i)), i);
	ASSERT_STREQ(hv_action_to_string(HV_ACTION_RENAME_RESTART), "rename-restart");
	ASSERT_EQ(hv_action_from_string("rename_restart"), _HV_ACTION_INVALID);
	ASSERT_EQ(hv_type_from_string("pvh"), _HV_TYPE_INVALID);
	ASSERT_NULL(hv_type_to_string(_HV_TYPE_MAX));
	ASSERT_NULL(hv_action_to_string(-1));
}

TEST(release_twice)
{
	struct hv_domcfg c;

	sample_hvm(&c);
	hv_domcfg_release(&c);
	hv_domcfg_release(&c);
	ASSERT_NULL(c.name);
	ASSERT_EQ(c.n_disks, 0);
}

TEST_MAIN()
