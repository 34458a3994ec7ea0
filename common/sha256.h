/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * SHA-256 (FIPS 180-4), small and streaming: for image checksums, without a crypto library.
 *
 *	struct sha256 s;
 *	sha256_init(&s);
 *	sha256_update(&s, buf, n);   // as often as needed
 *	sha256_final(&s, digest);    // 32 bytes
 */
#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32
#define SHA256_HEX   (2 * SHA256_BYTES)

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	uint8_t buf[64];
	size_t n; /* bytes in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t ret[SHA256_BYTES]);
/* The digest in lower-case hex, NUL-terminated. */
void sha256_hex(const uint8_t digest[SHA256_BYTES], char ret[SHA256_HEX + 1]);
