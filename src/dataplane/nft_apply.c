/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_apply.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

struct nft_applier {
	struct nft_ctx *ctx;
	char *err;
	char *out;
};

struct nft_applier *nft_applier_new(void)
{
	struct nft_applier *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!a->ctx) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	nft_ctx_buffer_output(a->ctx);
	nft_ctx_buffer_error(a->ctx);
	return a;
}

void nft_applier_free(struct nft_applier *a)
{
	if (!a)
		return;
	nft_ctx_free(a->ctx);
	free(a->err);
	free(a->out);
	free(a);
}

static void keep(char **dst, const char *src)
{
	free(*dst);
	*dst = strdup(src ? src : "");
}

int nft_applier_run(struct nft_applier *a, const char *script, const char **err)
{
	int rc = nft_run_cmd_from_buffer(a->ctx, script);

	keep(&a->err, nft_ctx_get_error_buffer(a->ctx));
	nft_ctx_get_output_buffer(a->ctx); /* drain */
	if (err)
		*err = a->err;
	return rc ? -EINVAL : 0;
}

const char *nft_applier_list(struct nft_applier *a, const char *cmd, const char **err)
{
	int rc = nft_run_cmd_from_buffer(a->ctx, cmd);

	keep(&a->err, nft_ctx_get_error_buffer(a->ctx));
	keep(&a->out, nft_ctx_get_output_buffer(a->ctx));
	if (err)
		*err = a->err;
	return rc ? NULL : a->out;
}
