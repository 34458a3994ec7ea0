/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What makes a clone this guest (partition/personal.c, pure): the files as the FAI hooks
 * write them, fstab's "/" by the new UUID with the other lines kept, bad values refused.
 */
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "partition/partition-internal.h"
#include "tests/unit/test.h"

#define UUID "0b3c9a4e-1f2d-4c5b-8a79-6e5d4c3b2a10"

TEST(fstab_rewrite)
{
	static const struct {
		const char *in;
		bool swap;
		const char *want;
	} t[] = {
		/* as hooks/fai/hooks/partition.XENGUEST writes it */
		{"# <file system> <mount point> <type> <options> <dump> <pass>\n"
		 "/dev/xvda1 / ext4 defaults,errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n",
		 true,
		 "# <file system> <mount point> <type> <options> <dump> <pass>\n"
		 "UUID=" UUID
		 " / ext4 defaults,errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n"},
		{"/dev/xvda1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\nproc /proc proc defaults 0 0",
		 false, "UUID=" UUID " / ext4 defaults 0 1\nproc /proc proc defaults 0 0\n"},
		/* the image's own UUID, tabs and a comment naming / kept as they are */
		{"#/dev/sda1 / ext4\nUUID=1111\t/\text4\terrors=remount-ro\t0\t1\n", false,
		 "#/dev/sda1 / ext4\nUUID=" UUID "\t/\text4\terrors=remount-ro\t0\t1\n"},
		/* none: one is made; no swap line: one is added */
		{NULL, true,
		 "# <file system> <mount point> <type> <options> <dump> <pass>\n"
		 "UUID=" UUID
		 " / ext4 defaults,errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n"},
		{"tmpfs /tmp tmpfs defaults 0 0\n", true,
		 "tmpfs /tmp tmpfs defaults 0 0\nUUID=" UUID
		 " / ext4 defaults,errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n"},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		char *s = part__fstab_rewrite(t[i].in, UUID, t[i].swap);

		ASSERT_STREQ(s, t[i].want);
		free(s);
	}
}

static const char *edit_data(const struct part__edits *e, const char *path)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].kind == PART__EDIT_WRITE && streq(e->v[i].path, path))
			return e->v[i].data;
	return NULL;
}

TEST(personal_files)
{
	static const char *const ns[] = {"192.0.2.53", NULL};
	struct part_personal p = {.hostname = "lab7",
				  .iface = "eth1",
				  .address = "192.0.2.17",
				  .prefix = 28,
				  .gateway = "192.0.2.30",
				  .nameservers = ns,
				  .swap_size = 1 << 30};
	struct part__edits e = {0};
	struct diag d = DIAG_INIT;

	ASSERT_OK(part__personal_edits(&p, "guest7", NULL, UUID, &e, &d));
	ASSERT_STREQ(edit_data(&e, "/etc/hostname"), "lab7\n");
	ASSERT_STREQ(edit_data(&e, "/etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tlab7\n");
	ASSERT_STREQ(edit_data(&e, "/etc/network/interfaces"),
		     "auto lo\niface lo inet loopback\n\nauto eth1\niface eth1 inet static\n"
		     "\taddress 192.0.2.17\n\tnetmask 255.255.255.240\n\tgateway 192.0.2.30\n");
	ASSERT_STREQ(edit_data(&e, "/etc/resolv.conf"), "nameserver 192.0.2.53\n");
	ASSERT_STREQ(edit_data(&e, "/etc/machine-id"), "");
	ASSERT_EQ(e.v[e.n - 2].kind, PART__EDIT_REMOVE);
	ASSERT_STREQ(e.v[e.n - 2].path, "/var/lib/dbus/machine-id");
	ASSERT_EQ(e.v[e.n - 1].kind, PART__EDIT_REMOVE_PREFIX);
	ASSERT_STREQ(e.v[e.n - 1].path, "/etc/ssh");
	ASSERT_STREQ(e.v[e.n - 1].data, "ssh_host_");
	part__edits_release(&e);

	/* no address: loopback only, as 10-setup without ip=; no name servers: resolv.conf kept */
	p = (struct part_personal){0};
	ASSERT_OK(part__personal_edits(&p, "guest7", NULL, UUID, &e, &d));
	ASSERT_STREQ(edit_data(&e, "/etc/hostname"), "guest7\n");
	ASSERT_STREQ(edit_data(&e, "/etc/network/interfaces"), "auto lo\niface lo inet loopback\n");
	ASSERT_NULL(edit_data(&e, "/etc/resolv.conf"));
	part__edits_release(&e);
	ASSERT_EQ(d.n, 0);
	diag_release(&d);
}

TEST(personal_refusals)
{
	static const char *const bad_ns[] = {"192.0.2.53", "dns.example", NULL};
	static const struct {
		struct part_personal p;
		const char *msg;
	} t[] = {
		{{.hostname = "Lab_7"}, "invalid host name 'Lab_7'"},
		{{.address = "192.0.2.300", .prefix = 24}, "invalid IPv4 address '192.0.2.300'"},
		{{.address = "192.0.2.3", .prefix = 33},
		 "invalid prefix length 33 for '192.0.2.3'"},
		{{.address = "192.0.2.3", .prefix = 24, .gateway = "gw"}, "invalid gateway 'gw'"},
		{{.address = "192.0.2.3", .prefix = 24, .iface = "eth0; reboot"},
		 "invalid interface name 'eth0; reboot'"},
		{{.nameservers = bad_ns}, "invalid name server 'dns.example'"},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct part__edits e = {0};
		struct diag d = DIAG_INIT;

		ASSERT_ERR(part__personal_edits(&t[i].p, "guest7", NULL, UUID, &e, &d), EINVAL);
		ASSERT_STREQ(d.v[d.n - 1].msg, t[i].msg);
		part__edits_release(&e);
		diag_release(&d);
	}
}

TEST_MAIN()
