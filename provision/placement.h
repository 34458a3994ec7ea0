/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Where running guests go (provision/placement.c): the planners behind `provision evacuate`
 * and `provision rebalance`. Pure: Dom0s with their free memory and guests with their memory
 * and Dom0 in, moves out; no inventory, no Xen, no clock. Memory in MiB. Strings in a plan
 * are borrowed from the inputs. Ties are broken by name, so a plan is the same every time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prov_place_host {
	const char *name;
	uint64_t free_mib; /* what new guests can have there now */
};

struct prov_place_guest {
	const char *name;
	const char *host; /* the Dom0 it runs on */
	uint64_t mem_mib;
};

/* A pair the checks refused: guest may not go to host (evacuate plans around it). */
struct prov_place_refusal {
	const char *guest, *host;
	const char *reason;
};

struct prov_place_move {
	const char *guest, *from, *to;
	uint64_t mem_mib;
};

/* A guest the plan cannot move, and why ("no Dom0 has 2048 MiB free"). */
struct prov_place_stuck {
	const char *guest;
	char *reason;
};

struct prov_place_plan {
	struct prov_place_move *moves; /* in the order to carry them out */
	size_t n_moves;
	struct prov_place_stuck *stuck;
	size_t n_stuck;
};

void prov_place_plan_release(struct prov_place_plan *p);

/*
 * Every guest on Dom0 from, largest first, to the other Dom0 with the most free memory left
 * (after the moves before it) that has room and that no refusal excludes for it; a guest
 * without such a Dom0 is stuck, with the reason (no room, or each refusal's reason).
 * Returns: 0 and the plan in *ret (release it), -ENOMEM.
 */
int prov_place_evacuate(const struct prov_place_host *hosts, size_t n_hosts,
			const struct prov_place_guest *guests, size_t n_guests, const char *from,
			const struct prov_place_refusal *refusals, size_t n_refusals,
			struct prov_place_plan *ret);

/*
 * Moves that make free memory even across the Dom0s: again and again, from the Dom0 with the
 * least free memory to the one with the most, the guest whose move leaves the two closest
 * (a move happens only when it narrows their gap by at least min_gain_mib and the guest fits);
 * each guest moves at most once. Guests on a Dom0 not in hosts stay where they are.
 * Returns: 0 and the plan in *ret (no stuck guests; release it), -ENOMEM.
 */
int prov_place_rebalance(const struct prov_place_host *hosts, size_t n_hosts,
			 const struct prov_place_guest *guests, size_t n_guests,
			 uint64_t min_gain_mib, struct prov_place_plan *ret);
