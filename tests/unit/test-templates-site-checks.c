/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The site checks between entries: VLANs that would hand out one address or share a link
 * name, and LUN entries that are one device under two names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/util.h"
#include "templates/templates.h"
#include "tests/unit/test.h"

#define FAI                                                                                        \
	"fai: {server: 10.0.0.1, nfsroot: /srv/fai/nfsroot, config_src: nfs://10.0.0.1/srv/fai, "  \
	"kernel: /boot/fai/vmlinuz}\n"

static int load_text(const char *dir, const char *text, struct diag *d, struct site **ret)
{
	_cleanup_(freep) char *path = NULL;
	FILE *f;
	int r;

	if (asprintf(&path, "%s/site.yaml", dir) < 0 || !(f = fopen(path, "w")))
		abort();
	fputs(text, f);
	fclose(f);
	r = tmpl_site_load(path, d, ret);
	(void) unlink(path);
	return r;
}

/* "LINE:COL: level: msg" lines of d */
static char *messages(const struct diag *d)
{
	char *s = calloc(1, 4096);

	for (size_t i = 0; i < d->n; i++)
		snprintf(s + strlen(s), 4096 - strlen(s), "%u:%u: %s: %s\n", d->v[i].line,
			 d->v[i].col, d->v[i].level == DIAG_NOTE ? "note" : "error", d->v[i].msg);
	return s;
}

TEST(vlans_share_addresses)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *got = NULL;
	struct site *s = NULL;
	const char *text = "luns: [/dev/x]\n"
			   "partition_sizes: [10G]\n"
			   "network:\n"
			   "  trunk: eth0\n"
			   "  vlans:\n"
			   "    10: {bridge: br10, subnet: 10.10.0.0/24, gateway: 10.10.0.1,\n"
			   "         range: 10.10.0.50-10.10.0.99}\n"
			   "    11: {bridge: br11, subnet: 10.10.0.0/24, gateway: 10.10.0.1,\n"
			   "         range: 10.10.0.50-10.10.0.99}\n"
			   "    12: {bridge: br12, subnet: 10.0.0.0/8, gateway: 10.0.0.1,\n"
			   "         range: 10.0.0.50-10.0.0.99}\n"
			   "    13: {bridge: br13, subnet: 10.20.0.0/24, gateway: 10.20.0.1,\n"
			   "         range: 10.20.0.50-10.20.0.99}\n" FAI;

	ASSERT_ERR(load_text("/tmp", text, &d, &s), EINVAL);
	ASSERT_NULL(s);
	got = messages(&d);
	ASSERT_STREQ(got, "8:32: error: network.vlans.11.subnet: 10.10.0.0/24 overlaps the subnet "
			  "10.10.0.0/24 of VLAN 10 (line 6): two guests could get one address\n"
			  "10:32: error: network.vlans.12.subnet: 10.0.0.0/8 overlaps the subnet "
			  "10.10.0.0/24 of VLAN 10 (line 6): two guests could get one address\n"
			  "12:32: error: network.vlans.13.subnet: 10.20.0.0/24 overlaps the subnet "
			  "10.0.0.0/8 of VLAN 12 (line 10): two guests could get one address\n");
	ASSERT_NOT_NULL(strstr(d.v[0].file, "/site.yaml"));
}

TEST(bridge_names)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *got = NULL;
	struct site *s = NULL;
	const char *text = "luns: [/dev/x]\n"
			   "partition_sizes: [10G]\n"
			   "network:\n"
			   "  trunk: eth0\n"
			   "  vlans:\n"
			   "    10: {bridge: eth0, native: true}\n"
			   "    11: {bridge: eth0.12}\n"
			   "    12: {bridge: br12}\n"
			   "    13: {bridge: br12}\n"
			   "    14: {bridge: eth0.10}\n" FAI;

	ASSERT_ERR(load_text("/tmp", text, &d, &s), EINVAL);
	got = messages(&d);
	/* eth0.10 is no link: VLAN 10 is native, its bridge enslaves the trunk itself */
	ASSERT_STREQ(got,
		     "6:18: error: network.vlans.10.bridge: bridge 'eth0' is the name of the trunk "
		     "interface\n"
		     "7:18: error: network.vlans.11.bridge: bridge 'eth0.12' is the name of VLAN "
		     "12's link on the trunk\n"
		     "9:18: error: network.vlans.13.bridge: bridge 'br12' is already used by VLAN "
		     "12\n");
}

TEST(vlans_apart)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct site *s = NULL;
	const char *text = "luns: [/dev/x]\n"
			   "partition_sizes: [10G]\n"
			   "network:\n"
			   "  trunk: eth0\n"
			   "  vlans:\n"
			   "    10: {bridge: br10, subnet: 10.10.0.0/24, gateway: 10.10.0.1,\n"
			   "         range: 10.10.0.50-10.10.0.99}\n"
			   "    11: {bridge: br11, subnet: 10.10.1.0/24, gateway: 10.10.1.1,\n"
			   "         range: 10.10.1.50-10.10.1.99}\n"
			   "    12: {bridge: br12}\n" FAI;

	ASSERT_OK(load_text("/tmp", text, &d, &s));
	ASSERT_EQ(d.n, 0);
	ASSERT_EQ(s->vlans[1].subnet_loc.line, 8);
	ASSERT_EQ(s->vlans[2].bridge_loc.line, 10);
	tmpl_site_free(s);
}

/* One image under three names (a symlink, a "//" path), another image, a missing one. */
TEST(luns_by_identity)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *text = NULL, *got = NULL, *a = NULL, *b = NULL, *l = NULL;
	char dir[] = "/tmp/test-site-luns.XXXXXX";
	struct site *s = NULL;

	ASSERT_NOT_NULL(mkdtemp(dir));
	ASSERT_TRUE(asprintf(&a, "%s/lun0.img", dir) > 0);
	ASSERT_TRUE(asprintf(&b, "%s/lun1.img", dir) > 0);
	ASSERT_TRUE(asprintf(&l, "%s/alias.img", dir) > 0);
	ASSERT_OK(write_file_atomic(a, "x", 1, 0600, false));
	ASSERT_OK(write_file_atomic(b, "x", 1, 0600, false));
	ASSERT_TRUE(symlink(a, l) == 0);
	ASSERT_TRUE(asprintf(&text,
			     "luns: [%s/lun0.img, %s/lun1.img, %s/missing.img,\n"
			     "       %s/alias.img, %s//lun0.img]\n"
			     "partition_sizes: [10G]\n"
			     "network: {trunk: eth0, vlans: {12: {bridge: br12}}}\n" FAI,
			     dir, dir, dir, dir, dir) > 0);
	/* loading does not look at the devices: template list works on any host */
	ASSERT_OK(load_text(dir, text, &d, &s));
	ASSERT_EQ(d.n, 0);
	ASSERT_ERR(tmpl_site_luns_check(s, &d), EINVAL);
	got = messages(&d);
	ASSERT_NOT_NULL(strstr(got, "2:8: error: luns: '"));
	ASSERT_NOT_NULL(strstr(got, "/alias.img' is the same device as '"));
	ASSERT_EQ(d.n, 4);
	ASSERT_EQ(d.v[1].level, DIAG_NOTE);
	ASSERT_EQ(d.v[1].line, 1);
	ASSERT_EQ(d.v[1].col, 8);
	ASSERT_EQ(d.v[2].line, 2);
	ASSERT_NOT_NULL(strstr(d.v[2].msg, "//lun0.img' is the same device as '"));
	ASSERT_NOT_NULL(strstr(d.v[0].file, "/site.yaml"));
	diag_clear(&d);
	/* two distinct images (and a missing one): fine */
	tmpl_site_free(s);
	s = NULL;
	free(text);
	ASSERT_TRUE(asprintf(&text,
			     "luns: [%s/lun0.img, %s/lun1.img, %s/missing.img]\n"
			     "partition_sizes: [10G]\n"
			     "network: {trunk: eth0, vlans: {12: {bridge: br12}}}\n" FAI,
			     dir, dir, dir) > 0);
	ASSERT_OK(load_text(dir, text, &d, &s));
	ASSERT_OK(tmpl_site_luns_check(s, &d));
	ASSERT_EQ(d.n, 0);
	tmpl_site_free(s);
	(void) unlink(a);
	(void) unlink(b);
	(void) unlink(l);
	(void) rmdir(dir);
}

TEST(guest_names)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct src_loc at = {"r.yaml", 2, 7};

	ASSERT_OK(tmpl_guest_name_check("web1", "name", &at, &d));
	ASSERT_ERR(tmpl_guest_name_check("../../x", NULL, NULL, &d), EINVAL);
	ASSERT_STREQ(d.v[0].msg, "invalid guest name '../../x' (1 to 63 of a-z, 0-9 and '-', not "
				 "starting or ending with '-')");
	ASSERT_ERR(tmpl_guest_name_check("-x", "name", &at, &d), EINVAL);
	ASSERT_STREQ(d.v[1].msg, "name: invalid guest name '-x' (1 to 63 of a-z, 0-9 and '-', not "
				 "starting or ending with '-')");
	ASSERT_EQ(d.v[1].line, 2);
	ASSERT_ERR(tmpl_guest_name_check(NULL, NULL, NULL, &d), EINVAL);
}

TEST_MAIN()
