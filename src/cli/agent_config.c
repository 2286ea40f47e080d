/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/agent_config.h"

#include "agent/agent.h"
#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/doc.h"
#include "lib/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get_string(const char *file, const struct doc_node *v, const char *key, const char **out,
		      struct diag_list *d)
{
	if (v->type != DOC_SCALAR || (!v->quoted && doc_is_null(v))) {
		diag_error(d, file, v->line, "%s: expected a string, not %s", key,
			   doc_type_name(v));
		return -EINVAL;
	}
	*out = v->str;
	return 0;
}

static int get_int(const char *file, const struct doc_node *v, const char *key, long lo, long hi,
		   long *out, struct diag_list *d)
{
	long long n;

	if (v->type != DOC_SCALAR || v->quoted || doc_to_int(v, &n) || n < lo || n > hi) {
		diag_error(d, file, v->line, "%s: expected a whole number from %ld to %ld", key, lo,
			   hi);
		return -EINVAL;
	}
	*out = (long)n;
	return 0;
}

/* One key of the map into c. */
static int set_key(const char *file, const char *key, const struct doc_node *v,
		   struct agent_config *c, struct diag_list *d)
{
	long n = 0;
	bool b;
	int err;

	if (!strcmp(key, "node"))
		return get_string(file, v, key, &c->node, d);
	if (!strcmp(key, "datastore"))
		return get_string(file, v, key, &c->datastore, d);
	if (!strcmp(key, "state"))
		return get_string(file, v, key, &c->state, d);
	if (!strcmp(key, "listen"))
		return get_string(file, v, key, &c->listen, d);
	if (!strcmp(key, "flows")) {
		if (v->type != DOC_SCALAR || v->quoted || doc_to_bool(v, &b)) {
			diag_error(d, file, v->line, "flows: expected true or false");
			return -EINVAL;
		}
		c->no_flows = !b;
		return 0;
	}
	if (!strcmp(key, "flowInterval")) {
		err = get_int(file, v, key, 1, 3600, &n, d);
		c->flow_interval = err ? c->flow_interval : (unsigned)n;
		return err;
	}
	if (!strcmp(key, "flowAggregationAllowed") || !strcmp(key, "flowAggregationDenied")) {
		err = get_int(file, v, key, 0, 3, &n, d);
		if (!err && !strcmp(key, "flowAggregationAllowed"))
			c->flow_kind_allowed = (int)n;
		else if (!err)
			c->flow_kind_denied = (int)n;
		return err;
	}
	diag_error(d, file, v->line,
		   "unknown key \"%s\" (node, datastore, state, listen, flows, flowInterval, "
		   "flowAggregationAllowed, flowAggregationDenied)",
		   key);
	return -EINVAL;
}

int agent_config_load(const char *path, struct agent_config *cfg, struct arena *a,
		      struct diag_list *diags)
{
	struct agent_config c = *cfg;
	struct doc_node **docs = NULL;
	size_t len = 0, ndocs = 0;
	char *buf = read_file(path, 0, &len);
	int err = 0, bad = 0;

	if (!buf) {
		err = errno == ENOENT ? -ENOENT : errno == ENOMEM ? -ENOMEM : -EIO;
		diag_error(diags, path, 0, "cannot read the configuration: %s", strerror(-err));
		return err;
	}
	err = doc_parse(buf, len, path, a, &docs, &ndocs, diags);
	if (err)
		goto out;
	if (ndocs != 1 || docs[0]->type != DOC_MAP) {
		diag_error(diags, path, ndocs ? docs[0]->line : 1,
			   "expected one map of settings (node, datastore, ...)");
		err = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < docs[0]->n; i++)
		bad |= set_key(path, docs[0]->pairs[i].key->str, docs[0]->pairs[i].value, &c,
			       diags) != 0;
	if (bad) {
		err = -EINVAL;
		goto out;
	}
	*cfg = c;
out:
	free(buf);
	return err;
}
