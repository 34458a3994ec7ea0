/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The site loader: the shipped example, defaults, every check, all errors collected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/util.h"
#include "templates/templates.h"
#include "tests/unit/test.h"

static const char minimal[] = "luns: [/dev/loop0]\n"
			      "partition_sizes: [10G]\n"
			      "network:\n"
			      "  trunk: eth0\n"
			      "  vlans: {53: {bridge: br53}}\n"
			      "fai:\n"
			      "  server: 10.0.0.1\n"
			      "  nfsroot: /srv/fai/nfsroot\n"
			      "  config_src: nfs://10.0.0.1/srv/fai/config\n"
			      "  kernel: /boot/fai/vmlinuz\n"
			      "  initrd: /boot/fai/initrd.img\n";

/* Write text to a temporary file; returns its path (caller unlinks and frees). */
static char *tmpfile_with(const char *text)
{
	char *path = strdup("/tmp/test-site.XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
		abort();
	close(fd);
	return path;
}

static int load_text(const char *text, struct diag *d, struct site **ret)
{
	_cleanup_(freep) char *path = tmpfile_with(text);
	int r = tmpl_site_load(path, d, ret);

	(void) unlink(path);
	return r;
}

/* The messages of d joined by newlines, without the temporary file names. */
static char *messages(const struct diag *d)
{
	size_t n = 1;
	char *s;

	for (size_t i = 0; i < d->n; i++)
		n += strlen(d->v[i].msg) + 32;
	s = calloc(1, n);
	for (size_t i = 0; i < d->n; i++)
		sprintf(s + strlen(s), "%u:%u: %s\n", d->v[i].line, d->v[i].col, d->v[i].msg);
	return s;
}

TEST(example_site)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *path = NULL;
	struct site *s = NULL;
	const struct site_vlan *v;
	const struct site_kernel *k;
	char b[16];

	ASSERT_TRUE(asprintf(&path, "%s/templates/site.yaml", getenv("SRCDIR")) > 0);
	ASSERT_OK(tmpl_site_load(path, &d, &s));
	ASSERT_EQ(d.n, 0);
	ASSERT_STREQ(s->path, path);
	ASSERT_STREQ(s->config_dir, "/etc/xen/provision");
	ASSERT_STREQ(s->state_dir, "/var/lib/provision");
	ASSERT_EQ(strv_length(s->template_dirs), 1);
	ASSERT_STREQ(s->template_dirs[0], "/etc/provision/templates");
	ASSERT_STREQ(s->hooks_dir, "/etc/provision/hooks.d");
	ASSERT_EQ(s->hook_timeout_s, 300);
	ASSERT_EQ(strv_length(s->luns), 4);
	ASSERT_STREQ(s->luns[3], "/dev/fc/fc-p1d4");
	ASSERT_EQ(s->n_partition_sizes, 4);
	ASSERT_EQ(s->partition_sizes[0], 10ULL << 30);
	ASSERT_EQ(s->partition_sizes[2], 25ULL << 30);
	ASSERT_EQ(s->mac_prefix_len, 3);
	ASSERT_EQ(s->mac_prefix[0], 0x00);
	ASSERT_EQ(s->mac_prefix[1], 0x16);
	ASSERT_EQ(s->mac_prefix[2], 0x3e);
	ASSERT_STREQ(s->trunk, "eth0");
	ASSERT_EQ(s->n_vlans, 2);
	v = tmpl_site_vlan(s, 1);
	ASSERT_NOT_NULL(v);
	ASSERT_TRUE(v->native);
	ASSERT_FALSE(v->has_subnet);
	ASSERT_STREQ(v->bridge, "br1");
	v = tmpl_site_vlan(s, 53);
	ASSERT_NOT_NULL(v);
	ASSERT_FALSE(v->native);
	ASSERT_TRUE(v->has_subnet);
	ASSERT_STREQ(v->bridge, "br53");
	ASSERT_STREQ(format_ipv4(v->subnet, b), "147.228.53.0");
	ASSERT_EQ(v->prefix, 24);
	ASSERT_STREQ(format_ipv4(v->gateway, b), "147.228.53.1");
	ASSERT_STREQ(format_ipv4(v->range_first, b), "147.228.53.60");
	ASSERT_STREQ(format_ipv4(v->range_last, b), "147.228.53.120");
	ASSERT_EQ(strv_length(v->nameservers), 1);
	ASSERT_STREQ(v->nameservers[0], "147.228.52.11");
	ASSERT_STREQ(v->loc.file, s->path);
	ASSERT_EQ(v->loc.line, 20);
	ASSERT_EQ(v->loc.col, 5);
	ASSERT_NULL(tmpl_site_vlan(s, 54));
	ASSERT_STREQ(s->fai.server, "147.228.53.154");
	ASSERT_STREQ(s->fai.nfsroot, "/srv/fai/nfsroot");
	ASSERT_STREQ(s->fai.config_src, "nfs://147.228.53.154/srv/fai/config");
	ASSERT_STREQ(s->fai.kernel, "/boot/fai/vmlinuz");
	ASSERT_STREQ(s->fai.initrd, "/boot/fai/initrd.img");
	ASSERT_EQ(strv_length(s->fai.flags), 3);
	ASSERT_STREQ(s->fai.flags[2], "halt");
	ASSERT_EQ(s->fai.monitor_port, 4711);
	ASSERT_NULL(s->fai.legacy_location);
	ASSERT_EQ(s->fai.fail_code, 400);
	ASSERT_EQ(s->fai.timeout_s, 3600);
	ASSERT_EQ(s->n_kernels, 1);
	k = tmpl_site_kernel(s, "default");
	ASSERT_NOT_NULL(k);
	ASSERT_STREQ(k->kernel, "/boot/vmlinuz-6.1.0-xen");
	ASSERT_STREQ(k->initrd, "/boot/initrd.img-6.1.0-xen");
	ASSERT_NULL(tmpl_site_kernel(s, "other"));
	tmpl_site_free(s);
}

TEST(defaults)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct site *s = NULL;

	ASSERT_OK(load_text(minimal, &d, &s));
	ASSERT_STREQ(s->config_dir, "/etc/xen/provision");
	ASSERT_STREQ(s->template_dirs[0], "/etc/provision/templates");
	ASSERT_EQ(s->hook_timeout_s, 300);
	ASSERT_EQ(s->mac_prefix_len, 3);
	ASSERT_EQ(s->mac_prefix[2], 0x3e);
	ASSERT_EQ(strv_length(s->fai.flags), 0);
	ASSERT_NOT_NULL(s->fai.flags);
	ASSERT_EQ(s->fai.monitor_port, 4711);
	ASSERT_EQ(s->fai.fail_code, 400);
	ASSERT_EQ(s->fai.timeout_s, 3600);
	ASSERT_EQ(s->n_kernels, 0);
	ASSERT_EQ(strv_length(tmpl_site_vlan(s, 53)->nameservers), 0);
	tmpl_site_free(s);
}

TEST(values)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *text = NULL;
	struct site *s = NULL;

	ASSERT_TRUE(asprintf(&text,
			     "%shook_timeout: 1h30m\nmac_prefix: '02:00'\n"
			     "template_dirs: [/a, /b]\nx-anchors: &k {kernel: /k}\n"
			     "kernels: {a: *k, b: {<<: *k, initrd: /i}}\n",
			     minimal) > 0);
	/* fai: overridden below by a second mapping would be a duplicate: extend instead */
	ASSERT_OK(load_text(text, &d, &s));
	ASSERT_EQ(s->hook_timeout_s, 5400);
	ASSERT_EQ(s->mac_prefix_len, 2);
	ASSERT_EQ(s->mac_prefix[0], 0x02);
	ASSERT_EQ(strv_length(s->template_dirs), 2);
	ASSERT_STREQ(tmpl_site_kernel(s, "a")->kernel, "/k");
	ASSERT_NULL(tmpl_site_kernel(s, "a")->initrd);
	ASSERT_STREQ(tmpl_site_kernel(s, "b")->initrd, "/i");
	tmpl_site_free(s);
}

TEST(all_errors_collected)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *got = NULL;
	struct site *s = NULL;
	const char *text = "config_dir: relative/dir\n"
			   "lnus: [/dev/x]\n"
			   "partition_sizes: [10G, 10X, 10G]\n"
			   "mac_prefix: '01:16:3e'\n"
			   "network:\n"
			   "  trunk: eth0\n"
			   "  vlans:\n"
			   "    0: {bridge: br0}\n"
			   "    4095: {bridge: br4095}\n"
			   "    53: {bridge: br53, subnet: 10.0.53.0/24, gateway: 10.0.54.1,\n"
			   "         range: 10.0.53.200-10.0.54.10}\n"
			   "    54: {bridge: br53, native: true, subnet: 10.0.54.7/24}\n"
			   "fai:\n"
			   "  server: 10.0.0.300\n"
			   "  monitor_port: 70000\n"
			   "  timeout: soon\n";

	ASSERT_ERR(load_text(text, &d, &s), EINVAL);
	ASSERT_NULL(s);
	got = messages(&d);
	ASSERT_STREQ(got,
		     "2:1: unknown key 'lnus' (did you mean 'luns'?)\n"
		     "1:13: config_dir: 'relative/dir' is not an absolute path\n"
		     "0:0: missing required key 'luns'\n"
		     "3:24: partition_sizes: invalid size '10X' (use e.g. 20G or 512M)\n"
		     "3:29: partition_sizes: '10G' is listed twice (first at line 3)\n"
		     "4:13: mac_prefix: MAC prefix '01:16:3e' has the multicast bit set\n"
		     "8:5: network.vlans: invalid VLAN id '0' (must be 1..4094)\n"
		     "9:5: network.vlans: invalid VLAN id '4095' (must be 1..4094)\n"
		     "10:55: network.vlans.53.gateway: 10.0.54.1 is outside the subnet "
		     "10.0.53.0/24\n"
		     "11:17: network.vlans.53.range: 10.0.53.200-10.0.54.10 is outside the "
		     "subnet 10.0.53.0/24\n"
		     "12:5: missing required key 'gateway' in 'network.vlans.54'\n"
		     "12:5: missing required key 'range' in 'network.vlans.54'\n"
		     "12:46: network.vlans.54.subnet: subnet '10.0.54.7/24' has host bits set "
		     "(did you mean 10.0.54.0/24?)\n"
		     "12:18: network.vlans.54.bridge: bridge 'br53' is already used by VLAN 53\n"
		     "13:1: missing required key 'nfsroot' in 'fai'\n"
		     "13:1: missing required key 'config_src' in 'fai'\n"
		     "13:1: missing required key 'kernel' in 'fai'\n"
		     "14:11: fai.server: invalid IPv4 address '10.0.0.300'\n"
		     "15:17: fai.monitor_port: invalid port '70000' (must be 1..65535)\n"
		     "16:12: fai.timeout: invalid duration 'soon' (use e.g. 300s, 5m or 1h)\n");
	ASSERT_EQ(d.n_errors, 20);
}

TEST(cluster_keys)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *text = NULL;
	struct site *s = NULL;

	/* defaults: SQLite, and xl migrate's ssh without a prompt */
	ASSERT_OK(load_text(minimal, &d, &s));
	ASSERT_NULL(s->inventory);
	ASSERT_EQ(strv_length(s->ssh), 3);
	ASSERT_STREQ(s->ssh[0], "ssh");
	ASSERT_STREQ(s->ssh[2], "BatchMode=yes");
	s = tmpl_site_free(s);

	ASSERT_TRUE(asprintf(&text,
			     "%sinventory: postgresql://provision@db/provision?host=/run/pg\n"
			     "ssh: ssh -p 2222\n",
			     minimal) > 0);
	ASSERT_OK(load_text(text, &d, &s));
	ASSERT_STREQ(s->inventory, "postgresql://provision@db/provision?host=/run/pg");
	ASSERT_EQ(strv_length(s->ssh), 3);
	ASSERT_STREQ(s->ssh[2], "2222");
	s = tmpl_site_free(s);
	free(text);

	ASSERT_TRUE(asprintf(&text,
			     "%sinventory: host=db dbname=provision\nssh: [nsenter, -t, '1']\n",
			     minimal) > 0);
	ASSERT_OK(load_text(text, &d, &s));
	ASSERT_STREQ(s->inventory, "host=db dbname=provision");
	ASSERT_STREQ(s->ssh[0], "nsenter");
	s = tmpl_site_free(s);
}

TEST(cluster_key_errors)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"inventory: postgresql://provision:secret@db/provision\n",
		 "12:12: inventory: a password does not belong in the site file (every Dom0 reads it): put it in ~/.pgpass or the file PGPASSFILE names\n"},
		{"inventory: 'host=db password=x'\n",
		 "12:12: inventory: a password does not belong in the site file (every Dom0 reads it): put it in ~/.pgpass or the file PGPASSFILE names\n"},
		{"inventory: /var/lib/provision/inventory.db\n",
		 "12:12: inventory: '/var/lib/provision/inventory.db' is not a PostgreSQL connection string (postgresql://USER@HOST/DB or 'host=... dbname=...'); leave the key out for the embedded SQLite inventory\n"},
		{"inventory: ''\n",
		 "12:12: inventory: expected a PostgreSQL connection string, got an empty one\n"},
		{"ssh: []\n", "12:6: ssh: expected a command, e.g. [ssh, -o, BatchMode=yes]\n"},
		{"sh: ssh\n", "12:1: unknown key 'sh' (did you mean 'ssh'?)\n"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
		_cleanup_(freep) char *text = NULL, *got = NULL;
		struct site *s = NULL;

		ASSERT_TRUE(asprintf(&text, "%s%s", minimal, cases[i].yaml) > 0);
		ASSERT_ERR(load_text(text, &d, &s), EINVAL);
		ASSERT_NULL(s);
		got = messages(&d);
		ASSERT_STREQ(got, cases[i].want);
	}
}

TEST(missing_file)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct site *s = NULL;

	ASSERT_ERR(tmpl_site_load("/nonexistent/site.yaml", &d, &s), ENOENT);
	ASSERT_EQ(d.n, 1);
	ASSERT_NULL(d.v[0].file);
	ASSERT_STREQ(d.v[0].msg,
		     "cannot open site file '/nonexistent/site.yaml': No such file or directory");
}

TEST(not_a_mapping)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct site *s = NULL;

	ASSERT_ERR(load_text("- a\n- b\n", &d, &s), EINVAL);
	ASSERT_STREQ(d.v[0].msg, "expected a mapping at the top of the file, got a sequence");
	ASSERT_EQ(d.v[0].line, 1);
}

TEST(free_null)
{
	ASSERT_NULL(tmpl_site_free(NULL));
	ASSERT_NULL(tmpl_site_vlan(NULL, 1));
	ASSERT_NULL(tmpl_site_kernel(NULL, "default"));
}

TEST_MAIN()
