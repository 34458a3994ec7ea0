/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest templates: the shipped ones, extends: chains (nested merge, cycles, self-extension),
 * origins, overrides with tmpl_guest_set(), checks between keys and against the site, list.
 * The built-in directory is $PROVISION_TEMPLATES_DIR (set by tests/meson.build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/macro.h"
#include "common/util.h"
#include "templates/templates.h"
#include "tests/unit/test.h"

static char dir[] = "/tmp/test-guest.XXXXXX";

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

/* A site whose template_dirs is the test's directory. */
static struct site *site_here(void)
{
	struct diag d = DIAG_INIT;
	struct site *s = NULL;
	char text[1024];

	snprintf(text, sizeof(text),
		 "template_dirs: [%s]\nluns: [/dev/loop0]\npartition_sizes: [10G, 30G]\n"
		 "network: {trunk: eth0, vlans: {53: {bridge: br53}}}\n"
		 "fai: {server: 10.0.0.1, nfsroot: /srv/fai/nfsroot, "
		 "config_src: nfs://10.0.0.1/srv/fai/config, kernel: /boot/fai/vmlinuz, "
		 "initrd: /boot/fai/initrd.img}\n"
		 "kernels: {default: {kernel: /boot/vmlinuz}, xen61: {kernel: /boot/v61}}\n",
		 dir);
	put("site.yml", text);
	snprintf(text, sizeof(text), "%s/site.yml", dir);
	if (tmpl_site_load(text, &d, &s) < 0) {
		diag_print(&d, stderr, "test");
		abort();
	}
	diag_release(&d);
	return s;
}

static char *messages(const struct diag *d)
{
	struct strbuf_like {
		char *s;
	} out = {calloc(1, 1)};

	for (size_t i = 0; i < d->n; i++) {
		const char *f = d->v[i].file ? d->v[i].file : "-";
		char *n = NULL;

		if (strrchr(f, '/'))
			f = strrchr(f, '/') + 1;
		if (asprintf(&n, "%s%s:%u:%u: %s\n", out.s, f, d->v[i].line, d->v[i].col,
			     d->v[i].msg) < 0)
			abort();
		free(out.s);
		out.s = n;
	}
	return out.s;
}

static void load_fail(const struct site *s, const char *name, const char *want)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *got = NULL;
	struct tmpl_guest *t = NULL;
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (tmpl_guest_load(s, strchr(name, '.') ? p : name, &d, &t) != -EINVAL || t)
		TEST__FAIL("%s loaded", name);
	got = messages(&d);
	ASSERT_STREQ(got, want);
}

TEST(builtin_debian)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;

	ASSERT_OK(tmpl_guest_load(NULL, "debian", &d, &t));
	ASSERT_STREQ(t->name, "debian");
	ASSERT_STREQ(t->description, "Debian PV guest, FAI network install");
	ASSERT_EQ(t->type, TMPL_GUEST_PV);
	ASSERT_EQ(t->memory_mib, 1024);
	ASSERT_EQ(t->maxmem_mib, 0);
	ASSERT_EQ(t->vcpus, 1);
	ASSERT_NULL(t->cpus);
	ASSERT_EQ(t->disk_size, 10ULL << 30);
	ASSERT_EQ(t->swap_size, 2ULL << 30);
	ASSERT_EQ(t->vlan, 0);
	ASSERT_STREQ(t->kernel, "default");
	ASSERT_STREQ(t->root, "/dev/xvda1 ro");
	ASSERT_STREQ(t->extra, "console=hvc0");
	ASSERT_EQ(strv_length(t->fai_classes), 1);
	ASSERT_EQ(t->install_timeout_s, 0);
	ASSERT_EQ(strv_length(t->files), 1);
	ASSERT_STREQ(t->loc.file, t->path);
}

TEST(builtin_lab_extends)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	const struct src_loc *l;

	ASSERT_OK(tmpl_guest_load(NULL, "lab", &d, &t));
	ASSERT_EQ(t->memory_mib, 512);
	ASSERT_EQ(t->swap_size, 512ULL << 20);
	ASSERT_STREQ(t->kernel, "default"); /* from debian */
	ASSERT_STREQ(t->root, "/dev/xvda1 ro");
	ASSERT_EQ(strv_length(t->fai_classes), 2);
	ASSERT_STREQ(t->fai_classes[1], "LAB");
	ASSERT_EQ(t->install_timeout_s, 1800);
	ASSERT_EQ(t->boot_timeout_s, 0); /* provision's */
	ASSERT_EQ(strv_length(t->files), 2);
	ASSERT_TRUE(strstr(t->files[0], "/lab.yaml") != NULL);
	ASSERT_TRUE(strstr(t->files[1], "/debian.yaml") != NULL);
	l = tmpl_guest_loc(t, "memory");
	ASSERT_NOT_NULL(l);
	ASSERT_TRUE(l->file == t->files[0]);
	ASSERT_EQ(l->line, 4);
	ASSERT_EQ(l->col, 9);
	l = tmpl_guest_loc(t, "kernel");
	ASSERT_TRUE(l->file == t->files[1]);
	ASSERT_NULL(tmpl_guest_loc(t, "maxmem")); /* a default */
}

TEST(builtin_hvm)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;

	ASSERT_OK(tmpl_guest_load(NULL, "hvm", &d, &t));
	ASSERT_EQ(t->type, TMPL_GUEST_HVM);
	ASSERT_STREQ(t->hvm.firmware, "hvmloader");
	ASSERT_STREQ(t->hvm.nic_model, "rtl8139");
	ASSERT_STREQ(t->hvm.cdrom, "/srv/iso/debian-12-amd64-netinst.iso");
	ASSERT_STREQ(t->hvm.boot, "dc");
	ASSERT_TRUE(t->hvm.vnc);
	ASSERT_EQ(t->swap_size, 0);
	ASSERT_EQ(t->install_method, TMPL_INSTALL_CDROM);
	ASSERT_EQ(t->install_timeout_s, 7200);
}

TEST(builtin_hvm_fai_and_pvgrub)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *h = NULL, *p = NULL;
	_cleanup_(freep) char *v = NULL;

	ASSERT_OK(tmpl_guest_load(NULL, "hvm-fai", &d, &h));
	ASSERT_EQ(h->type, TMPL_GUEST_HVM);
	ASSERT_EQ(h->install_method, TMPL_INSTALL_FAI);
	ASSERT_STREQ(h->hvm.nic_model, "e1000");
	ASSERT_NULL(h->hvm.cdrom);
	ASSERT_OK(tmpl_guest_load(NULL, "debian-pvgrub", &d, &p));
	ASSERT_STREQ(p->kernel, TMPL_KERNEL_PVGRUB);
	/* install.method as text, set and back to its default */
	ASSERT_OK(tmpl_guest_format(h, "install.method", &v));
	ASSERT_STREQ(v, "fai");
	free(v);
	v = NULL;
	ASSERT_OK(tmpl_guest_set(h, "hvm.cdrom", "/srv/iso/w.iso", NULL, &d));
	ASSERT_OK(tmpl_guest_set(h, "install.method", "cdrom", NULL, &d));
	ASSERT_OK(tmpl_guest_format(h, "install.method", &v));
	ASSERT_STREQ(v, "cdrom");
	ASSERT_ERR(tmpl_guest_set(h, "install.method", "pxe", NULL, &d), EINVAL);
	ASSERT_STREQ(d.v[d.n - 1].msg,
		     "--install.method: invalid install method 'pxe' (use fai or cdrom)");
	ASSERT_OK(tmpl_guest_set(h, "install.method", NULL, NULL, &d));
	ASSERT_EQ(h->install_method, TMPL_INSTALL_FAI);
}

TEST(with_example_site)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(freep) char *path = NULL;
	struct site *s = NULL;

	ASSERT_TRUE(asprintf(&path, "%s/templates/site.yaml", getenv("SRCDIR")) > 0);
	ASSERT_OK(tmpl_site_load(path, &d, &s));
	for (const char *const *n = (const char *const[]){"debian", "lab", "hvm", NULL}; *n; n++) {
		struct tmpl_guest *t = NULL;

		ASSERT_OK(tmpl_guest_load(s, *n, &d, &t));
		tmpl_guest_free(t);
	}
	tmpl_site_free(s);
}

TEST(nested_merge_and_overrides)
{
	_cleanup_(tmpl_site_freep) struct site *s = site_here();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;

	put("base.yaml", "type: hvm\nhvm: {boot: dc, vnc: true, nic_model: e1000}\ndisk: 20G\n"
			 "x-common: &c {memory: 768}\n");
	put("child.yaml", "extends: base\nhvm:\n  boot: c\n  vnc: ~\n<<: {vcpus: 2}\n");
	ASSERT_OK(tmpl_guest_load(s, "child", &d, &t));
	ASSERT_STREQ(t->hvm.boot, "c");
	ASSERT_FALSE(t->hvm.vnc); /* ~ in the child: back to the default */
	ASSERT_STREQ(t->hvm.nic_model, "e1000");
	ASSERT_EQ(t->disk_size, 20ULL << 30);
	ASSERT_EQ(t->vcpus, 2);
	ASSERT_EQ(t->memory_mib, 512);
	ASSERT_EQ(tmpl_guest_loc(t, "hvm.boot")->line, 3);
	ASSERT_EQ(tmpl_guest_loc(t, "hvm.nic_model")->line, 2);

	ASSERT_OK(tmpl_guest_set(t, "memory", "2G", NULL, &d));
	ASSERT_EQ(t->memory_mib, 2048);
	ASSERT_NULL(tmpl_guest_loc(t, "memory")); /* command line */
	ASSERT_OK(tmpl_guest_set(t, "install.classes", "A,B C", NULL, &d));
	ASSERT_EQ(strv_length(t->fai_classes), 3);
	ASSERT_OK(tmpl_guest_set(t, "hvm.cdrom", "/srv/x.iso", &(struct src_loc){"batch.txt", 3, 7},
				 &d));
	ASSERT_STREQ(tmpl_guest_loc(t, "hvm.cdrom")->file, "batch.txt");
	ASSERT_OK(tmpl_guest_set(t, "disk", NULL, NULL, &d));
	ASSERT_EQ(t->disk_size, 10ULL << 30);
	ASSERT_EQ(d.n, 0);
	ASSERT_OK(tmpl_guest_check(t, s, &d));

	ASSERT_ERR(tmpl_guest_set(t, "memory", "2X", NULL, &d), EINVAL);
	ASSERT_EQ(t->memory_mib, 2048); /* unchanged */
	ASSERT_ERR(tmpl_guest_set(t, "memroy", "2G", NULL, &d), EINVAL);
	ASSERT_ERR(tmpl_guest_set(t, "vlan", "4095", &(struct src_loc){"b.txt", 2, 5}, &d), EINVAL);
	ASSERT_ERR(tmpl_guest_set(t, "cpus", "3-1", NULL, &d), EINVAL);
	ASSERT_ERR(tmpl_guest_set(t, "hvm.boot", "dd", NULL, &d), EINVAL);
	{
		_cleanup_(freep) char *got = messages(&d);

		ASSERT_STREQ(got,
			     "-:0:0: --memory: invalid memory size '2X' (use e.g. 512M, 2G or a "
			     "number of MiB)\n"
			     "-:0:0: unknown template key 'memroy' (did you mean 'memory'?)\n"
			     "b.txt:2:5: vlan: invalid VLAN id '4095' (must be 1..4094)\n"
			     "-:0:0: --cpus: CPU range 3-1 in '3-1' goes backwards\n"
			     "-:0:0: --hvm.boot: invalid boot order 'dd' (letters from a, c, d, n; "
			     "e.g. \"dc\")\n");
	}
}

TEST(checks_between_keys)
{
	_cleanup_(tmpl_site_freep) struct site *s = site_here();

	put("c1.yaml", "memory: 1G\nmaxmem: 512M\ndisk: 10G\nswap: 10G\nhvm: {cdrom: /x.iso}\n");
	load_fail(s, "c1.yaml",
		  "c1.yaml:2:9: maxmem: 512M is less than memory 1024M\n"
		  "c1.yaml:4:7: swap: a 10G swap file does not fit in a 10G disk\n"
		  "c1.yaml:5:14: hvm.cdrom: only for HVM guests (this one is pv)\n");
	/* swap left at its default: the error cites the disk */
	put("c2.yaml", "disk: 1G\n");
	load_fail(s, "c2.yaml", "c2.yaml:1:7: disk: a 2G swap file does not fit in a 1G disk\n");
	/* a cdrom install: HVM with a CD, and nothing of FAI's */
	put("c4.yaml", "install: {method: cdrom, classes: [A], extra: x}\n");
	load_fail(
		s, "c4.yaml",
		"c4.yaml:1:19: install.method: a cdrom install needs an HVM guest (this one is pv)\n"
		"c4.yaml:1:35: install.classes: FAI classes are only for install.method fai (this one is cdrom)\n"
		"c4.yaml:1:47: install.extra: the installer's command line is only for install.method fai (this one is cdrom)\n");
	/* kernel: pvgrub needs no site kernel of that name */
	put("c5.yaml", "kernel: pvgrub\n");
	{
		_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
		_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
		char p[256];

		snprintf(p, sizeof(p), "%s/c5.yaml", dir);
		ASSERT_OK(tmpl_guest_load(s, p, &d, &t));
		ASSERT_STREQ(t->kernel, "pvgrub");
	}
	put("c3.yaml", "kernel: xen16\nvlan: 99\ndisk: 40G\n");
	load_fail(s, "c3.yaml",
		  "c3.yaml:1:9: kernel: unknown kernel 'xen16' (did you mean 'xen61'?)\n"
		  "c3.yaml:2:7: vlan: VLAN 99 is not in the site's network.vlans\n"
		  "c3.yaml:3:7: disk: 40G is larger than the site's largest partition (30G)\n");
}

TEST(cycles_and_missing)
{
	_cleanup_(tmpl_site_freep) struct site *s = site_here();
	_cleanup_(freep) char *want = NULL;

	put("cyc-a.yaml", "extends: cyc-b\n");
	put("cyc-b.yaml", "extends: cyc-c\n");
	put("cyc-c.yaml", "memory: 1G\nextends: cyc-a\n");
	load_fail(s, "cyc-a",
		  "cyc-c.yaml:2:10: extends: cycle: cyc-a -> cyc-b -> cyc-c -> cyc-a\n");
	put("self.yaml", "extends: ./self.yaml\n");
	load_fail(s, "self", "self.yaml:1:10: extends: cycle: self -> self\n");
	put("miss.yaml", "extends: debain\nmemory: lots\n");
	load_fail(s, "miss",
		  "miss.yaml:1:10: extends: unknown template 'debain' (did you mean 'debian'?)\n"
		  "miss.yaml:2:9: memory: invalid memory size 'lots' (use e.g. 512M, 2G or a "
		  "number of MiB)\n");
	put("miss2.yaml", "extends: sub/none.yaml\n");
	ASSERT_TRUE(asprintf(&want,
			     "miss2.yaml:1:10: cannot open template '%s/sub/none.yaml': No such "
			     "file or directory\n",
			     dir) > 0);
	load_fail(s, "miss2", want);
	load_fail(s, "nothing-like-it", "-:0:0: unknown template 'nothing-like-it'\n");
	{
		_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
		struct tmpl_guest *t = NULL;

		ASSERT_ERR(tmpl_guest_load(s, NULL, &d, &t), EINVAL);
		ASSERT_STREQ(d.v[0].msg, "no template given");
	}
}

TEST(self_extension)
{
	/* an admin's debian.yaml extending "debian" gets the built-in one */
	_cleanup_(tmpl_site_freep) struct site *s = site_here();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;

	put("debian.yaml", "extends: debian\ndescription: ours\nvcpus: 4\n");
	ASSERT_OK(tmpl_guest_load(s, "debian", &d, &t));
	ASSERT_STREQ(t->description, "ours");
	ASSERT_EQ(t->vcpus, 4);
	ASSERT_EQ(t->memory_mib, 1024);
	ASSERT_EQ(strv_length(t->files), 2);
	(void) unlink(t->files[0]);
}

TEST(list)
{
	_cleanup_(tmpl_site_freep) struct site *s = site_here();
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(tmpl_list_freep) struct tmpl_list *l = NULL;
	bool saw_lab = false, saw_hvm = false;

	put("hvm.yaml", "description: our hvm\nmemory: nope\n");
	put("zz.yaml", "description: last\n");
	ASSERT_OK(tmpl_list_load(s, &d, &l));
	ASSERT_EQ(d.n, 0);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			ASSERT_TRUE(strcmp(l->v[i - 1].name, l->v[i].name) < 0);
		if (streq(l->v[i].name, "lab")) {
			saw_lab = true;
			ASSERT_TRUE(l->v[i].valid);
			ASSERT_STREQ(l->v[i].description,
				     "small lab machine (Debian PV, 512M, 10G disk)");
		}
		if (streq(l->v[i].name, "hvm")) {
			/* ours hides the built-in one, and is invalid */
			saw_hvm = true;
			ASSERT_FALSE(l->v[i].valid);
			ASSERT_TRUE(strncmp(l->v[i].path, dir, strlen(dir)) == 0);
		}
	}
	ASSERT_TRUE(saw_lab && saw_hvm);
	ASSERT_STREQ(l->v[l->n - 1].name, "zz");
	ASSERT_STREQ(l->v[l->n - 1].description, "last");
}

TEST(type_strings_and_null)
{
	ASSERT_STREQ(tmpl_guest_type_to_string(TMPL_GUEST_HVM), "hvm");
	ASSERT_EQ(tmpl_guest_type_from_string("pv"), TMPL_GUEST_PV);
	ASSERT_EQ(tmpl_guest_type_from_string("PV"), _TMPL_GUEST_TYPE_INVALID);
	ASSERT_NULL(tmpl_guest_type_to_string(_TMPL_GUEST_TYPE_INVALID));
	ASSERT_NULL(tmpl_guest_free(NULL));
	ASSERT_NULL(tmpl_list_free(NULL));
	ASSERT_STREQ(tmpl_guest_keys[0], "description");
}

static void __attribute__((constructor)) setup(void)
{
	if (!mkdtemp(dir))
		abort();
}

static void __attribute__((destructor)) teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

TEST_MAIN()
