/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libFuzzer driver of a harness (fuzz.h); built only with -Dfuzz=true. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one(data, size);
}
