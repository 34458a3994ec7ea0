/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux swap header (what mkswap writes, <linux/swap.h> union swap_header), built in
 * memory so a swap file can be written without mounting anything.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "partition/partition-internal.h"

#define SWAP_VERSION	  1
#define SWAP_MAGIC	  "SWAPSPACE2"
#define SWAP_INFO_OFFSET  1024 /* after the boot bits */
#define SWAP_VOLUME_BYTES 16

int part__swap_header(void *page, size_t page_size, uint64_t size, const uint8_t uuid[16],
		      const char *label)
{
	uint8_t *p = page;
	uint64_t pages = size / page_size;
	uint32_t v;

	/* the kernel wants at least ten pages, and counts them in 32 bits */
	if (page_size < 4096 || pages < 10 || pages - 1 > UINT32_MAX)
		return -EINVAL;
	memset(p, 0, page_size);
	v = SWAP_VERSION;
	memcpy(p + SWAP_INFO_OFFSET, &v, 4);
	v = (uint32_t) (pages - 1); /* last_page */
	memcpy(p + SWAP_INFO_OFFSET + 4, &v, 4);
	/* nr_badpages stays 0 */
	memcpy(p + SWAP_INFO_OFFSET + 12, uuid, 16);
	if (label)
		strncpy((char *) p + SWAP_INFO_OFFSET + 28, label, SWAP_VOLUME_BYTES);
	memcpy(p + page_size - strlen(SWAP_MAGIC), SWAP_MAGIC, strlen(SWAP_MAGIC));
	return 0;
}

bool part__swap_header_is(const void *page, size_t page_size, const uint8_t uuid[16])
{
	const uint8_t *p = page;

	return memcmp(p + page_size - strlen(SWAP_MAGIC), SWAP_MAGIC, strlen(SWAP_MAGIC)) == 0 &&
	       memcmp(p + SWAP_INFO_OFFSET + 12, uuid, 16) == 0;
}
