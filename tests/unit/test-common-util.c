/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/util.h"
#include "tests/unit/test.h"

TEST(size_parse)
{
	static const struct {
		const char *s;
		uint64_t v;
		int r;
	} t[] = {
		{"20G", 20ULL << 30, 0},
		{"512M", 512ULL << 20, 0},
		{"2GiB", 2ULL << 30, 0},
		{"1k", 1024, 0},
		{"4096", 4096, 0},
		{"10GB", 10ULL << 30, 0},
		{"", 0, -EINVAL},
		{"G", 0, -EINVAL},
		{"20X", 0, -EINVAL},
		{"-1G", 0, -EINVAL},
		{"20Gi", 0, -EINVAL},
		{"20G ", 0, -EINVAL},
		{"99999999999E", 0, -ERANGE},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		uint64_t v = 0;
		int r = parse_size(t[i].s, &v);

		if (r != t[i].r || (r == 0 && v != t[i].v))
			TEST__FAIL("parse_size(\"%s\") = %d, %" PRIu64, t[i].s, r, v);
	}
}

TEST(size_format)
{
	char b[32];

	ASSERT_STREQ(format_size(20ULL << 30, b, sizeof(b)), "20G");
	ASSERT_STREQ(format_size(1536ULL << 20, b, sizeof(b)), "1536M");
	ASSERT_STREQ(format_size(1000, b, sizeof(b)), "1000");
	ASSERT_STREQ(format_size(0, b, sizeof(b)), "0");
}

TEST(duration)
{
	static const struct {
		const char *s;
		uint64_t v;
		int r;
	} t[] = {
		{"300", 300, 0},
		{"300s", 300, 0},
		{"5m", 300, 0},
		{"1h", 3600, 0},
		{"1h30m", 5400, 0},
		{"2d", 172800, 0},
		{"", 0, -EINVAL},
		{"m", 0, -EINVAL},
		{"5x", 0, -EINVAL},
		{"-5m", 0, -EINVAL},
		{"5m ", 0, -EINVAL},
		{"1.5h", 0, -EINVAL},
		{"99999999999999999999d", 0, -ERANGE},
	};
	char b[32];

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		uint64_t v = 0;
		int r = parse_duration(t[i].s, &v);

		if (r != t[i].r || (r == 0 && v != t[i].v))
			TEST__FAIL("parse_duration(\"%s\") = %d, %" PRIu64, t[i].s, r, v);
	}
	ASSERT_STREQ(format_duration(3600, b, sizeof(b)), "1h");
	ASSERT_STREQ(format_duration(300, b, sizeof(b)), "5m");
	ASSERT_STREQ(format_duration(90, b, sizeof(b)), "90s");
	ASSERT_STREQ(format_duration(0, b, sizeof(b)), "0s");
}

TEST(ipv4)
{
	uint32_t a;
	unsigned p;
	char b[16];

	ASSERT_OK(parse_ipv4("147.228.53.71", &a));
	ASSERT_EQ(a, 0x93e43547u);
	ASSERT_STREQ(format_ipv4(a, b), "147.228.53.71");
	ASSERT_ERR(parse_ipv4("147.228.53", &a), EINVAL);
	ASSERT_ERR(parse_ipv4("147.228.53.256", &a), EINVAL);
	ASSERT_ERR(parse_ipv4("147.228.053.1", &a), EINVAL);
	ASSERT_ERR(parse_ipv4("1.2.3.4.5", &a), EINVAL);
	ASSERT_ERR(parse_ipv4("1.2.3.4 ", &a), EINVAL);
	ASSERT_OK(parse_ipv4_cidr("147.228.53.0/24", &a, &p));
	ASSERT_EQ(p, 24);
	ASSERT_ERR(parse_ipv4_cidr("147.228.53.0/33", &a, &p), EINVAL);
	ASSERT_ERR(parse_ipv4_cidr("147.228.53.0", &a, &p), EINVAL);
}

TEST(mac)
{
	uint8_t m[6];
	char b[18];

	ASSERT_OK(parse_mac("00:16:3E:05:30:71", m));
	ASSERT_STREQ(format_mac(m, b), "00:16:3e:05:30:71");
	ASSERT_ERR(parse_mac("00:16:3e:05:30", m), EINVAL);
	ASSERT_ERR(parse_mac("00:16:3e:05:30:71:00", m), EINVAL);
	ASSERT_ERR(parse_mac("00-16-3e-05-30-71", m), EINVAL);
	ASSERT_EQ(parse_mac_prefix("00:16:3e", m), 3);
	ASSERT_EQ(m[2], 0x3e);
	ASSERT_ERR(parse_mac_prefix("0:16", m), EINVAL);
}

TEST(closest)
{
	static const char *const keys[] = {"disk", "memory", "vcpus", "kernel", NULL};

	ASSERT_STREQ(str_closest("dsik", keys), "disk");
	ASSERT_STREQ(str_closest("memroy", keys), "memory");
	ASSERT_STREQ(str_closest("vcpu", keys), "vcpus");
	ASSERT_NULL(str_closest("network", keys));
}

TEST(hostname)
{
	ASSERT_TRUE(hostname_label_valid("web1"));
	ASSERT_TRUE(hostname_label_valid("a"));
	ASSERT_TRUE(hostname_label_valid("lab-01"));
	ASSERT_FALSE(hostname_label_valid(""));
	ASSERT_FALSE(hostname_label_valid("-web"));
	ASSERT_FALSE(hostname_label_valid("web-"));
	ASSERT_FALSE(hostname_label_valid("Web1"));
	ASSERT_FALSE(hostname_label_valid("web_1"));
	ASSERT_FALSE(hostname_label_valid("../etc"));
	ASSERT_FALSE(hostname_label_valid("web1;rm"));
	ASSERT_FALSE(hostname_label_valid(
		"a234567890123456789012345678901234567890123456789012345678901234"));
}

TEST(atomic_write)
{
	char dir[] = "/tmp/prov-test-XXXXXX", path[64], *got = NULL;
	size_t len;

	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.cfg", dir);
	ASSERT_OK(write_file_atomic(path, "one\n", 4, 0644, false));
	ASSERT_ERR(write_file_atomic(path, "two\n", 4, 0644, false), EEXIST);
	ASSERT_OK(read_file(path, &got, &len));
	ASSERT_STREQ(got, "one\n");
	free(got);
	ASSERT_OK(write_file_atomic(path, "two\n", 4, 0644, true));
	ASSERT_OK(read_file(path, &got, &len));
	ASSERT_STREQ(got, "two\n");
	free(got);
	ASSERT_OK(unlink(path));
	ASSERT_OK(rmdir(dir)); /* no temporary file left behind */
}

TEST(atomic_leftovers)
{
	char dir[] = "/tmp/prov-test-XXXXXX", path[64], p[128], **v = NULL;
	const char *foreign[] = {"a.cfg.tmp.AbC12",
				 "a.cfg.tmp.AbC1234",
				 "a.cfg.tmp.AbC_12",
				 "b.cfg.tmp.AbC123",
				 "xa.cfg.tmp.AbC123",
				 "a.cfg.TMP.AbC123",
				 "a.cfg"};

	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.cfg", dir);
	ASSERT_EQ(write_file_atomic_leftovers(path, &v), 0);
	ASSERT_NULL(v[0]);
	v = strv_free(v);
	for (size_t i = 0; i < ELEMENTSOF(foreign); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, foreign[i]);
		ASSERT_OK(write_file_atomic(p, "x\n", 2, 0644, false));
	}
	snprintf(p, sizeof(p), "%s/a.cfg.tmp.Zz9Yy8", dir); /* a directory is not one */
	ASSERT_OK(mkdir(p, 0755));
	snprintf(p, sizeof(p), "%s/a.cfg.tmp.Ln4Ln4", dir); /* nor a symlink */
	ASSERT_OK(symlink("/etc/hostname", p));
	/* what a kill between mkostemp() and rename() leaves */
	snprintf(p, sizeof(p), "%s/a.cfg.tmp.XXXXXX", dir);
	ASSERT_TRUE(mkostemp(p, O_CLOEXEC) >= 0);
	ASSERT_EQ(write_file_atomic_leftovers(path, &v), 1);
	ASSERT_STREQ(v[0], p);
	ASSERT_NULL(v[1]);
	v = strv_free(v);
	ASSERT_EQ(write_file_atomic_leftovers("/nonexistent/a.cfg", &v), 0);
	v = strv_free(v);
	ASSERT_OK(rm_rf_at(AT_FDCWD, dir));
}

TEST(rm_rf)
{
	char dir[] = "/tmp/prov-test-XXXXXX", outside[] = "/tmp/prov-test-XXXXXX", p[128];
	char *got = NULL;
	size_t len;
	int fd;

	ASSERT_NOT_NULL(mkdtemp(dir));
	ASSERT_NOT_NULL(mkdtemp(outside));
	snprintf(p, sizeof(p), "%s/keep", outside);
	ASSERT_OK(write_file_atomic(p, "x\n", 2, 0644, false));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(mkdirat(fd, "t", 0755));
	ASSERT_OK(mkdirat(fd, "t/a", 0755));
	ASSERT_OK(mkdirat(fd, "t/a/b", 0)); /* no permissions: root removes it anyway */
	ASSERT_OK(symlinkat(outside, fd, "t/a/out"));
	ASSERT_OK(symlinkat(outside, fd, "link"));
	snprintf(p, sizeof(p), "%s/t/a/f", dir);
	ASSERT_OK(write_file_atomic(p, "y\n", 2, 0644, false));
	/* a symlink to a directory is removed itself, never what it points to */
	ASSERT_OK(rm_rf_at(fd, "link"));
	ASSERT_OK(rm_rf_at(fd, "t"));
	ASSERT_OK(rm_rf_at(fd, "t")); /* absent */
	close(fd);
	ASSERT_OK(rmdir(dir)); /* empty now */
	snprintf(p, sizeof(p), "%s/keep", outside);
	ASSERT_OK(read_file(p, &got, &len));
	ASSERT_STREQ(got, "x\n");
	free(got);
	ASSERT_OK(rm_rf_at(AT_FDCWD, outside));
	ASSERT_TRUE(access(outside, F_OK) < 0 && errno == ENOENT);
}

TEST(diag_format)
{
	struct diag d = DIAG_INIT;
	struct src_loc loc = {"templates/web.yaml", 12, 5};
	char buf[512] = {0};
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	ASSERT_ERR(diag_error(&d, &loc, "unknown key '%s' (did you mean '%s'?)", "dsik", "disk"),
		   EINVAL);
	ASSERT_ERR(diag_error_errno(&d, NULL, -ENOENT, "cannot open '%s'", "/x"), ENOENT);
	diag_add(&d, DIAG_WARNING, &(struct src_loc){"s.yaml", 3, 0}, "odd");
	diag_print(&d, f, "provision");
	fclose(f);
	ASSERT_EQ(d.n_errors, 2);
	ASSERT_STREQ(buf,
		     "templates/web.yaml:12:5: error: unknown key 'dsik' (did you mean 'disk'?)\n"
		     "provision: error: cannot open '/x': No such file or directory\n"
		     "s.yaml:3: warning: odd\n");
	diag_release(&d);
}

/* Only what came after a mark is dropped, demoted or taken as the cause. */
TEST(diag_marks)
{
	_cleanup_(diag_releasep) struct diag d = DIAG_INIT;
	struct src_loc at = {"web.yaml", 3, 7};
	size_t mark;
	char *c;

	diag_add(&d, DIAG_WARNING, NULL, "earlier warning");
	diag_error(&d, NULL, "earlier error");
	mark = diag_mark(&d);
	ASSERT_NULL(diag_cause(&d, mark));
	diag_add(&d, DIAG_NOTE, NULL, "a note first");
	diag_error(&d, &at, "the root");
	diag_error(&d, NULL, "what it broke");
	ASSERT_STREQ(c = diag_cause(&d, mark), "web.yaml:3:7: the root");
	free(c);
	ASSERT_STREQ(c = diag_cause(&d, 0), "earlier error");
	free(c);
	ASSERT_EQ(d.n_errors, 3);
	diag_demote(&d, mark);
	ASSERT_EQ(d.n_errors, 1);
	ASSERT_EQ(d.v[3].level, DIAG_WARNING);
	ASSERT_NULL(diag_cause(&d, mark));
	diag_error(&d, NULL, "another");
	diag_truncate(&d, mark);
	ASSERT_EQ(d.n, 2);
	ASSERT_EQ(d.n_errors, 1);
	ASSERT_STREQ(d.v[1].msg, "earlier error");
}

TEST(json_writer)
{
	struct json j;
	char *s;

	json_init(&j, false);
	json_obj_begin(&j);
	json_key_str(&j, "name", "web\"1");
	json_key(&j, "disks");
	json_arr_begin(&j);
	json_uint(&j, 1);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_key_bool(&j, "ok", true);
	json_key(&j, "none");
	json_null(&j);
	json_obj_end(&j);
	s = json_finish(&j);
	ASSERT_STREQ(s, "{\"name\":\"web\\\"1\",\"disks\":[1,{}],\"ok\":true,\"none\":null}\n");
	free(s);
}

/* FIPS 180-4 examples, and a split update giving the same digest as one call. */
TEST(sha256_vectors)
{
	static const struct {
		const char *in;
		const char *hex;
	} t[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	uint8_t dg[SHA256_BYTES], dg2[SHA256_BYTES];
	char hex[SHA256_HEX + 1];
	static char mil[1000000];
	struct sha256 s;

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		sha256_init(&s);
		sha256_update(&s, t[i].in, strlen(t[i].in));
		sha256_final(&s, dg);
		sha256_hex(dg, hex);
		ASSERT_STREQ(hex, t[i].hex);
	}
	memset(mil, 'a', sizeof(mil));
	sha256_init(&s);
	sha256_update(&s, mil, sizeof(mil));
	sha256_final(&s, dg);
	sha256_hex(dg, hex);
	ASSERT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	sha256_init(&s);
	for (size_t at = 0, k = 1; at < sizeof(mil); at += k, k = k * 7 % 997 + 1)
		sha256_update(&s, mil + at, k < sizeof(mil) - at ? k : sizeof(mil) - at);
	sha256_final(&s, dg2);
	ASSERT_EQ(memcmp(dg, dg2, sizeof(dg)), 0);
}

TEST_MAIN()
