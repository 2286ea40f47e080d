/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/nft_names.h"
#include "dataplane/nft_render_int.h"

#include "lib/model.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The NFLOG prefixes of nft_render.h: format, parse, and the table a collector loads. */

static const char action_letter[] = {
	[ACTION_ALLOW] = 'A',
	[ACTION_DENY] = 'D',
	[ACTION_LOG] = 'L',
	[ACTION_PASS] = 'P',
};

static char dir_letter(int dir)
{
	return dir == M_EGRESS ? 'e' : 'i';
}

static char act(int a)
{
	return a >= 0 && a <= ACTION_PASS ? action_letter[a] : '?';
}

int nft_rule_id_format(const struct nft_rule_id *id, char *buf, size_t size)
{
	char d = dir_letter(id->dir);

	switch (id->kind) {
	case NFT_ID_POLICY_RULE:
		return snprintf(buf, size, "P%08x:%c:%d:%c", id->key, d, id->rule, act(id->action));
	case NFT_ID_TIER_END:
		return snprintf(buf, size, "T%08x:%c:D", id->key, d);
	case NFT_ID_PROFILE_RULE:
		return snprintf(buf, size, "F%08x:%c:%d:%c", id->key, d, id->rule, act(id->action));
	case NFT_ID_PROFILE_ALLOW:
		return snprintf(buf, size, "R:%c:A", d);
	case NFT_ID_NO_PROFILE:
		return snprintf(buf, size, "R:%c:D", d);
	case NFT_ID_UNUSED_ADDRESS:
	default:
		return snprintf(buf, size, "U:i:D");
	}
}

/* Reads a decimal number of at most 9 digits up to the next ':' or the end. */
static int parse_num(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint32_t v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9' && n < 9) {
		v = v * 10 + (uint32_t)(*p - '0');
		p++;
		n++;
	}
	if (!n || (n > 1 && **s == '0'))
		return -EINVAL;
	*s = p;
	*out = v;
	return 0;
}

/* Reads exactly 8 lower-case hex digits. */
static int parse_key(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint32_t v = 0;

	for (int i = 0; i < 8; i++, p++) {
		if (*p >= '0' && *p <= '9')
			v = v << 4 | (uint32_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v << 4 | (uint32_t)(*p - 'a' + 10);
		else
			return -EINVAL;
	}
	*s = p;
	*out = v;
	return 0;
}

static int parse_dir(const char **s, int *dir)
{
	const char *p = *s;

	if (p[0] != ':' || (p[1] != 'i' && p[1] != 'e'))
		return -EINVAL;
	*dir = p[1] == 'e' ? M_EGRESS : M_INGRESS;
	*s = p + 2;
	return 0;
}

static int parse_action(const char *p, int *action)
{
	if (p[0] != ':' || !p[1] || p[2])
		return -EINVAL;
	for (int a = 0; a <= ACTION_PASS; a++) {
		if (action_letter[a] == p[1]) {
			*action = a;
			return 0;
		}
	}
	return -EINVAL;
}

int nft_rule_id_parse(const char *s, struct nft_rule_id *out)
{
	struct nft_rule_id id = {.tier = UINT32_MAX,
				 .policy = UINT32_MAX,
				 .profile = UINT32_MAX,
				 .rule = -1,
				 .action = ACTION_DENY};
	const char *p = s + 1;
	uint32_t rule;

	switch (s[0]) {
	case 'P':
	case 'F':
		if (parse_key(&p, &id.key) || parse_dir(&p, &id.dir) || *p++ != ':' ||
		    parse_num(&p, &rule) || parse_action(p, &id.action))
			return -EINVAL;
		id.kind = s[0] == 'P' ? NFT_ID_POLICY_RULE : NFT_ID_PROFILE_RULE;
		id.rule = (int)rule;
		break;
	case 'T':
		if (parse_key(&p, &id.key) || parse_dir(&p, &id.dir) || strcmp(p, ":D"))
			return -EINVAL;
		id.kind = NFT_ID_TIER_END;
		break;
	case 'R':
		if (parse_dir(&p, &id.dir))
			return -EINVAL;
		if (!strcmp(p, ":A")) {
			id.kind = NFT_ID_PROFILE_ALLOW;
			id.action = ACTION_ALLOW;
		} else if (!strcmp(p, ":D")) {
			id.kind = NFT_ID_NO_PROFILE;
		} else {
			return -EINVAL;
		}
		break;
	case 'U':
		if (strcmp(s, "U:i:D"))
			return -EINVAL;
		id.kind = NFT_ID_UNUSED_ADDRESS;
		break;
	default:
		return -EINVAL;
	}
	*out = id;
	return 0;
}

int nft_rule_id_resolve(const struct nft_names *n, const struct model *m, struct nft_rule_id *id)
{
	switch (id->kind) {
	case NFT_ID_POLICY_RULE:
		id->policy = nft_names_policy(n, id->key);
		if (id->policy == UINT32_MAX)
			return -ENOENT;
		id->tier = m->pols[id->policy].tier;
		return 0;
	case NFT_ID_TIER_END:
		id->tier = nft_names_tier(n, id->key);
		return id->tier == UINT32_MAX ? -ENOENT : 0;
	case NFT_ID_PROFILE_RULE:
		id->profile = nft_names_profile(n, id->key);
		return id->profile == UINT32_MAX ? -ENOENT : 0;
	default:
		return 0;
	}
}

/* An id from the parser has no indexes yet: finds them with this model's names. */
static int resolve_once(const struct model *m, const struct nft_rule_id *id,
			struct nft_rule_id *out)
{
	struct nft_names n;
	int err;

	*out = *id;
	if ((id->kind == NFT_ID_POLICY_RULE && id->policy != UINT32_MAX) ||
	    (id->kind == NFT_ID_TIER_END && id->tier != UINT32_MAX) ||
	    (id->kind == NFT_ID_PROFILE_RULE && id->profile != UINT32_MAX) ||
	    (id->kind != NFT_ID_POLICY_RULE && id->kind != NFT_ID_TIER_END &&
	     id->kind != NFT_ID_PROFILE_RULE))
		return 0;
	err = nft_names_build(m, &n);
	if (!err)
		err = nft_rule_id_resolve(&n, m, out);
	nft_names_fini(&n);
	return err;
}

int nft_rule_id_decided(const struct model *m, const struct nft_rule_id *given, uint32_t ep,
			char *buf, size_t size)
{
	struct nft_rule_id r, *id = &r;
	int a = given->action;

	if (resolve_once(m, given, &r))
		return -EINVAL;
	switch (id->kind) {
	case NFT_ID_POLICY_RULE:
		if (id->policy >= m->npols || id->rule < 0 ||
		    (size_t)id->rule >= m->pols[id->policy].nrules[id->dir ? 1 : 0] || a < 0 ||
		    a > ACTION_PASS)
			return -EINVAL;
		return snprintf(buf, size, "%s|%s|%s|%d", m->tiers[m->pols[id->policy].tier].name,
				m->pols[id->policy].name, rule_action_name(a), id->rule);
	case NFT_ID_TIER_END:
		if (id->tier >= m->ntiers)
			return -EINVAL;
		return snprintf(buf, size, "%s|end-of-tier|Deny|-1", m->tiers[id->tier].name);
	case NFT_ID_PROFILE_RULE:
		if (id->profile >= m->nprofiles || id->rule < 0 ||
		    (size_t)id->rule >= m->profiles[id->profile].nrules[id->dir ? 1 : 0] || a < 0 ||
		    a > ACTION_PASS)
			return -EINVAL;
		return snprintf(buf, size, "profile|%s|%s|%d", m->profiles[id->profile].name,
				rule_action_name(a), id->rule);
	case NFT_ID_PROFILE_ALLOW:
		if (ep < m->neps)
			return snprintf(buf, size, "profile|%s|Allow|-1",
					model_endpoint_profile(m, ep));
		return snprintf(buf, size, "profile|kns.*|Allow|-1");
	case NFT_ID_NO_PROFILE:
		return snprintf(buf, size, "profile|-|Deny|-1");
	case NFT_ID_UNUSED_ADDRESS:
		return snprintf(buf, size, "no-endpoint|-|Deny|-1");
	}
	return -EINVAL;
}

struct id_list {
	struct nft_rule_id *v;
	size_t n, cap;
};

static int push(struct id_list *l, const struct nft_rule_id *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct nft_rule_id *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *id;
	return 0;
}

int nft_rule_ids(const struct model *m, struct nft_rule_id **out, size_t *n)
{
	struct id_list l = {0};
	struct nft_rule_id id;
	struct nft_names names;
	int err = nft_names_build(m, &names);

	if (err)
		return err;

	for (int d = 0; d < 2 && !err; d++) {
		memset(&id, 0, sizeof(id));
		id.dir = d;
		id.profile = UINT32_MAX;
		id.rule = -1;
		for (uint32_t r = 0; r < m->npols && !err; r++) {
			id.kind = NFT_ID_POLICY_RULE;
			id.policy = r;
			id.tier = m->pols[r].tier;
			id.key = names.pol[r];
			for (size_t k = 0; k < m->pols[r].nrules[d] && !err; k++) {
				id.rule = (int)k;
				id.action = m->pols[r].rules[d][k].action;
				err = push(&l, &id);
			}
		}
		id.kind = NFT_ID_TIER_END;
		id.policy = UINT32_MAX;
		id.rule = -1;
		id.action = ACTION_DENY;
		for (uint32_t t = 0; t < m->ntiers && !err; t++) {
			if (m->tiers[t].default_action == ACTION_PASS)
				continue;
			id.tier = t;
			id.key = names.tier[t];
			err = push(&l, &id);
		}
		id.kind = NFT_ID_PROFILE_RULE;
		id.tier = UINT32_MAX;
		for (uint32_t p = 0; p < m->nprofiles && !err; p++) {
			id.profile = p;
			id.key = names.prof[p];
			for (size_t k = 0; k < m->profiles[p].nrules[d] && !err; k++) {
				id.rule = (int)k;
				id.action = m->profiles[p].rules[d][k].action;
				err = push(&l, &id);
			}
		}
		id.profile = UINT32_MAX;
		id.rule = -1;
		id.key = 0;
		id.kind = NFT_ID_PROFILE_ALLOW;
		id.action = ACTION_ALLOW;
		if (!err)
			err = push(&l, &id);
		id.kind = NFT_ID_NO_PROFILE;
		id.action = ACTION_DENY;
		if (!err)
			err = push(&l, &id);
	}
	memset(&id, 0, sizeof(id));
	id.kind = NFT_ID_UNUSED_ADDRESS;
	id.tier = id.policy = id.profile = UINT32_MAX;
	id.rule = -1;
	id.action = ACTION_DENY;
	if (!err)
		err = push(&l, &id);
	nft_names_fini(&names);
	if (err) {
		free(l.v);
		return err;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int nft_rule_ids_print(const struct model *m, struct strbuf *out)
{
	struct nft_rule_id *v;
	size_t n;
	char id[NFT_RULE_ID_LEN], dec[1024];
	int err = nft_rule_ids(m, &v, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		nft_rule_id_format(&v[i], id, sizeof(id));
		nft_rule_id_decided(m, &v[i], UINT32_MAX, dec, sizeof(dec));
		strbuf_printf(out, "%s %s\n", id, dec);
	}
	free(v);
	return out->oom ? -ENOMEM : 0;
}
