/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest template loader (tmpl_guest_load), extends: chains included. The input holds up
 * to four files separated by lines "#%": a.yaml (the template loaded, as "a"), b.yaml and
 * c.yaml beside it, and a.yaml of the built-in directory (what `extends: a` in a.yaml finds).
 * All are in a scratch directory, the site's only template_dirs entry; the site is fixed.
 * A template that loads must write itself out as YAML (tmpl_guest_to_yaml) that loads back
 * to the same YAML.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/diag.h"
#include "templates/templates.h"
#include "fuzz.h"
#include "guest-base.h"

#define SEP "\n#%\n"

static const char site_text[] = "config_dir: %s/configs\n"
				"state_dir: %s/state\n"
				"template_dirs: [%s]\n"
				"luns: [/dev/fc/lun0]\n"
				"partition_sizes: [10G, 20G, 25G, 30G]\n"
				"network:\n"
				"  trunk: eth0\n"
				"  vlans:\n"
				"    10: {bridge: br10, native: true}\n"
				"    53: {bridge: br53}\n"
				"fai:\n"
				"  server: 10.10.0.1\n"
				"  nfsroot: /srv/fai/nfsroot\n"
				"  config_src: nfs://10.10.0.1/srv/fai/config\n"
				"  kernel: /boot/fai/vmlinuz\n"
				"  initrd: /boot/fai/initrd.img\n"
				"kernels:\n"
				"  default: {kernel: /boot/vmlinuz, initrd: /boot/initrd.img}\n"
				"  old: {kernel: /boot/vmlinuz.old}\n";

static struct site *site;
static char builtin[4096];

static void site_free(void)
{
	site = tmpl_site_free(site);
}

static void setup(void)
{
	const char *dir = fuzz_tmpdir();
	struct diag d = DIAG_INIT;
	char *text;
	int n;

	n = asprintf(&text, site_text, dir, dir, dir);
	if (n < 0 || tmpl_site_parse("fuzz-site.yaml", text, (size_t) n, &d, &site) < 0)
		fuzz_fail("the fixed site does not load");
	free(text);
	diag_release(&d);
	atexit(site_free);
	snprintf(builtin, sizeof(builtin), "%s/builtin", dir);
	if (mkdir(builtin, 0700) < 0)
		fuzz_fail("cannot make '%s': %m", builtin);
	/* lookups of the built-in directory go here, not to an installed one */
	setenv("PROVISION_TEMPLATES_DIR", builtin, 1);
}

/* Write the parts of the input; a part not given is removed from the previous input. */
static void write_parts(const char *text, size_t len)
{
	static const char *const names[] = {"a.yaml", "b.yaml", "c.yaml", "a.yaml"};
	const char *dir = fuzz_tmpdir();
	size_t i = 0;

	for (; i < 4; i++) {
		const char *sep = i < 3 ? memmem(text, len, SEP, strlen(SEP)) : NULL;
		size_t n = sep ? (size_t) (sep - text) + 1 : len;

		fuzz_write(i < 3 ? dir : builtin, names[i], text, n);
		if (!sep)
			break;
		len -= n + strlen(SEP) - 1;
		text = sep + strlen(SEP);
	}
	for (i++; i < 4; i++)
		fuzz_unlink(i < 3 ? dir : builtin, names[i]);
}

int fuzz_one(const uint8_t *data, size_t size)
{
	_cleanup_(tmpl_guest_freep) struct tmpl_guest *t = NULL;
	struct diag d = DIAG_INIT;
	int r;

	if (!site)
		setup();
	write_parts((const char *) data, size);
	r = tmpl_guest_load(site, "a", &d, &t);
	fuzz_diag_print(&d);
	if (r == 0) {
		_cleanup_(freep) char *shown = NULL;

		FUZZ_CHECK(d.n_errors == 0 && t->name && t->path && t->files && t->files[0]);
		for (size_t i = 0; tmpl_guest_keys[i]; i++) {
			_cleanup_(freep) char *v = NULL;

			FUZZ_CHECK(tmpl_guest_format(t, tmpl_guest_keys[i], &v) == 0);
			(void) tmpl_guest_loc(t, tmpl_guest_keys[i]);
		}
		FUZZ_CHECK(tmpl_guest_to_yaml(t, true, &shown) == 0);
		guest_round_trip(t, site);
	} else {
		FUZZ_CHECK(d.n_errors > 0 || r == -ENOMEM);
	}
	diag_release(&d);
	return 0;
}
