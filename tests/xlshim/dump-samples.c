/* SPDX-License-Identifier: GPL-2.0-or-later */

/*
 * Test helper for tests/xlshim/xl-crosscheck.py: writes each sample domain of
 * tests/unit/hv-samples.h as DIR/NAME.cfg (hv_domcfg_to_xl) and DIR/NAME.json
 * (hv_domcfg_to_json), so that xl's own JSON for the .cfg can be compared with ours.
 */

#include <errno.h>
#include <stdio.h>

#include "common/diag.h"
#include "common/util.h"
#include "tests/unit/hv-samples.h"

static int dump(const char *dir, const char *name, struct hv_domcfg *c, struct diag *d)
{
	_cleanup_(freep) char *cfg = NULL;
	_cleanup_(freep) char *json = NULL;
	char path[4096];
	int r;

	r = hv_domcfg_to_xl(c, "sample for the xl cross-check", &cfg, d);
	if (r < 0)
		return r;
	r = hv_domcfg_to_json(c, &json, d);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s.cfg", dir, name);
	r = write_file_atomic(path, cfg, strlen(cfg), 0644, true);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot write '%s'", path);
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	r = write_file_atomic(path, json, strlen(json), 0644, true);
	if (r < 0)
		return diag_error_errno(d, NULL, r, "cannot write '%s'", path);
	hv_domcfg_release(c);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	_cleanup_(hv_domcfg_releasep) struct hv_domcfg c = {0};
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	sample_seed_boot(&c);
	r = dump(argv[1], "seed-boot", &c, &d);
	if (r >= 0)
		r = sample_seed_install(&c, &d);
	if (r >= 0)
		r = dump(argv[1], "seed-install", &c, &d);
	if (r >= 0)
		r = sample_fai6_install(&c, &d);
	if (r >= 0)
		r = dump(argv[1], "fai6-install", &c, &d);
	if (r >= 0) {
		sample_hvm(&c);
		r = dump(argv[1], "hvm", &c, &d);
	}
	if (r >= 0) {
		sample_awkward(&c);
		r = dump(argv[1], "awkward", &c, &d);
	}
	diag_print(&d, stderr, "dump-samples");
	return r < 0 ? 1 : 0;
}
