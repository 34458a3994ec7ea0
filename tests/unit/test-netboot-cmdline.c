/* SPDX-License-Identifier: GPL-2.0-or-later */

/* The installer kernel command line, checked as exact strings. */

#include "common/diag.h"
#include "common/util.h"
#include "netboot/netboot.h"
#include "tests/unit/test.h"

static uint32_t ip(const char *s)
{
	uint32_t a;

	ASSERT_OK(parse_ipv4(s, &a));
	return a;
}

static char *const fai_flags[] = {"verbose", "createvt", "halt", NULL};

/* The FAI 6 form for the seed's guest, as the site.yaml of issue 2 describes it. */
static struct nb_install seed_fai6(void)
{
	return (struct nb_install){
		.client = ip("147.228.53.71"),
		.prefix = 24,
		.gateway = ip("147.228.53.1"),
		.hostname = "xenik",
		.root_form = NB_ROOT_DRACUT,
		.server = ip("147.228.53.154"),
		.nfsroot = "/srv/fai/nfsroot",
		.flags = fai_flags,
		.config_src = "nfs://147.228.53.154/srv/fai/config",
	};
}

static char *build_ok(const struct nb_install *p)
{
	struct diag d = DIAG_INIT;
	char *s = NULL;

	ASSERT_OK(nb_cmdline_build(p, &s, &d));
	ASSERT_EQ(d.n, 0);
	diag_release(&d);
	return s;
}

TEST(fai6_dracut)
{
	struct nb_install p = seed_fai6();
	_cleanup_(freep) char *s = build_ok(&p);

	ASSERT_STREQ(s, "root=nfs:147.228.53.154:/srv/fai/nfsroot:vers=3 rootovl "
			"ip=147.228.53.71::147.228.53.1:255.255.255.0:xenik:eth0:off "
			"FAI_ACTION=install FAI_FLAGS=verbose,createvt,halt "
			"FAI_CONFIG_SRC=nfs://147.228.53.154/srv/fai/config");
}

/* The lab's proven install line (real-fai README), field for field. */
TEST(lab_line)
{
	static char *const flags[] = {"verbose", "halt", NULL};
	struct nb_install p = {
		.client = ip("10.53.0.2"),
		.prefix = 24,
		.gateway = ip("10.53.0.1"),
		.hostname = "guest53",
		.root_form = NB_ROOT_DRACUT,
		.server = ip("10.53.0.1"),
		.nfsroot = "/srv/fai/nfsroot",
		.flags = flags,
		.config_src = "nfs://10.53.0.1/srv/fai/config",
		.monserver = true,
		.console = "hvc0",
		.net_ifnames0 = true,
	};
	_cleanup_(freep) char *s = build_ok(&p);

	ASSERT_STREQ(s, "console=hvc0 net.ifnames=0 root=nfs:10.53.0.1:/srv/fai/nfsroot:vers=3 "
			"rootovl ip=10.53.0.2::10.53.0.1:255.255.255.0:guest53:eth0:off "
			"FAI_ACTION=install FAI_FLAGS=verbose,halt "
			"FAI_CONFIG_SRC=nfs://10.53.0.1/srv/fai/config monserver=10.53.0.1");
}

TEST(kernel_root_and_legacy_location)
{
	static char *const flags[] = {"verbose", "debug", "createvt", NULL};
	struct nb_install p = seed_fai6();
	_cleanup_(freep) char *s = NULL;

	p.root_form = NB_ROOT_KERNEL;
	p.flags = flags;
	p.config_src = NULL;
	p.legacy_location = "147.228.53.154:/usr/local/share/fai.dev";
	s = build_ok(&p);
	/* The seed's ip= string exactly, its FAI_LOCATION and FLAGS. */
	ASSERT_STREQ(s, "root=/dev/nfs nfsroot=147.228.53.154:/srv/fai/nfsroot,vers=3 "
			"ip=147.228.53.71:147.228.53.154:147.228.53.1:255.255.255.0:xenik:eth0:off "
			"FAI_ACTION=install FAI_FLAGS=verbose,debug,createvt "
			"FAI_LOCATION=147.228.53.154:/usr/local/share/fai.dev "
			"FLAGS=verbose,debug,createvt");
}

TEST(options_device_action_extra)
{
	struct nb_install p = seed_fai6();
	_cleanup_(freep) char *s = NULL;

	p.flags = NULL;
	p.config_src = NULL;
	p.gateway = 0;
	p.prefix = 26;
	p.device = "eth1";
	p.action = "sysinfo";
	p.nfs_options = "vers=4.2,proto=tcp";
	p.extra = "  faitest=fail   quiet ";
	s = build_ok(&p);
	ASSERT_STREQ(s, "root=nfs:147.228.53.154:/srv/fai/nfsroot:vers=4.2,proto=tcp rootovl "
			"ip=147.228.53.71:::255.255.255.192:xenik:eth1:off FAI_ACTION=sysinfo "
			"faitest=fail quiet");
}

static void expect_error(const struct nb_install *p, const char *msg)
{
	struct diag d = DIAG_INIT;
	char *s = NULL;
	bool found = false;

	ASSERT_ERR(nb_cmdline_build(p, &s, &d), EINVAL);
	ASSERT_NULL(s);
	for (size_t i = 0; i < d.n; i++) {
		if (streq(d.v[i].msg, msg))
			found = true;
		else
			fprintf(stderr, "other message: %s\n", d.v[i].msg);
	}
	diag_release(&d);
	if (!found)
		TEST__FAIL("no message '%s'", msg);
}

TEST(refused)
{
	static char *const bad_flags[] = {"verbose", "create vt", NULL};
	static char *const comma_flags[] = {"verbose,halt", NULL};
	struct nb_install p;

	p = seed_fai6();
	p.hostname = "Xenik_1";
	expect_error(&p, "installer command line: invalid host name 'Xenik_1': want 1 to 63 of "
			 "a-z, 0-9 and '-', not starting or ending with '-'");
	p = seed_fai6();
	p.hostname = NULL;
	expect_error(&p, "installer command line: invalid host name '': want 1 to 63 of a-z, 0-9 "
			 "and '-', not starting or ending with '-'");
	p = seed_fai6();
	p.nfsroot = "/srv/fai root";
	expect_error(&p, "installer command line: nfsroot '/srv/fai root' may only hold printable "
			 "characters without spaces or quotes");
	p = seed_fai6();
	p.nfsroot = "/srv/fai:root";
	expect_error(&p, "installer command line: nfsroot '/srv/fai:root' must be an absolute path "
			 "without ':' or ','");
	p = seed_fai6();
	p.nfsroot = NULL;
	expect_error(&p, "installer command line: nfsroot is missing");
	p = seed_fai6();
	p.flags = bad_flags;
	expect_error(&p, "installer command line: invalid FAI flag 'create vt'");
	p = seed_fai6();
	p.flags = comma_flags;
	expect_error(&p, "installer command line: invalid FAI flag 'verbose,halt'");
	p = seed_fai6();
	p.config_src = "nfs://x/a b";
	expect_error(&p, "installer command line: FAI_CONFIG_SRC 'nfs://x/a b' may only hold "
			 "printable characters without spaces or quotes");
	p = seed_fai6();
	p.legacy_location = "/usr/local/share/fai.dev";
	expect_error(&p, "installer command line: FAI_LOCATION '/usr/local/share/fai.dev' must "
			 "read SERVER:/PATH");
	p = seed_fai6();
	p.gateway = ip("147.228.54.1");
	expect_error(&p, "installer command line: gateway 147.228.54.1 is not another address in "
			 "147.228.53.0/24");
	p = seed_fai6();
	p.client = ip("147.228.53.255");
	expect_error(&p, "installer command line: client address 147.228.53.255 is the network or "
			 "broadcast address of 147.228.53.0/24");
	p = seed_fai6();
	p.prefix = 0;
	expect_error(&p, "installer command line: prefix length 0 is out of range (1..32)");
	p = seed_fai6();
	p.server = 0;
	expect_error(&p, "installer command line: the server address is missing");
	p = seed_fai6();
	p.device = "eth0:1";
	expect_error(&p, "installer command line: invalid network device 'eth0:1'");
	p = seed_fai6();
	p.extra = "init=\"/bin/sh\"";
	expect_error(&p, "installer command line: extra parameters may not contain quotes or "
			 "control characters");
	p = seed_fai6();
	p.root_form = 7;
	expect_error(&p, "installer command line: invalid root form 7");
}

TEST(root_form_strings)
{
	ASSERT_STREQ(nb_root_form_to_string(NB_ROOT_DRACUT), "dracut");
	ASSERT_EQ(nb_root_form_from_string("kernel"), NB_ROOT_KERNEL);
	ASSERT_EQ(nb_root_form_from_string("nfs"), _NB_ROOT_FORM_INVALID);
	ASSERT_NULL(nb_root_form_to_string(_NB_ROOT_FORM_MAX));
}

TEST_MAIN()
