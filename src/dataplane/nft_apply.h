/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFT_APPLY_H
#define PALISADE_NFT_APPLY_H

#include <stddef.h>

/*
 * Applies an nft script (nft_render's output) through libnftables as one transaction: all or
 * nothing, so a rejected script leaves the kernel's ruleset exactly as it was.
 */
struct nft_applier;

struct nft_applier *nft_applier_new(void);
void nft_applier_free(struct nft_applier *a);
/* 0, or -EINVAL with the kernel's or parser's message in *err (owned by the applier, valid
 * until the next call). */
int nft_applier_run(struct nft_applier *a, const char *script, const char **err);
/* Runs a listing command ("list table inet palisade") and returns its output (owned by the
 * applier, valid until the next call), or NULL with *err set. */
const char *nft_applier_list(struct nft_applier *a, const char *cmd, const char **err);

#endif
