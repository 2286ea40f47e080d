/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Longest-prefix match over IPv4 and IPv6 prefixes: a path-compressed multibit trie per
 * family, a "poptrie-lite".  See the paragraph above struct lpm_node for the layout.
 */
#include "lib/lpm.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRIDE 6
/* Node depths are 0, 6, ..., 126: at most 22 nodes on any path. */
#define MAX_LEVELS (128 / STRIDE + 1)
/* One prefix per length 0..128 can contain a given address. */
#define MAX_MATCHES 129

/*
 * Node layout.  Each family has its own multibit trie with a fixed stride of six bits, made
 * compact in the manner of Tree Bitmap and Poptrie: a node keeps two 64-bit maps and stores
 * only what exists, indexed by popcount.  A node sits at a depth d that is a multiple of six
 * and stands for the address bits [0, d) kept in key (most significant bit first; an IPv4
 * address fills the top 32 bits of key[0]; bits from d on are zero).  It holds the prefixes
 * of length d..d+5 under that key: the prefix with rl more bits b (0 <= rl < 6) is bit
 * (1 << rl) - 1 + b of pfx, the positions of a binary heap, so that the prefixes on the way to
 * the next six address bits c are six fixed positions and the longest present is the highest
 * set bit of pfx & ancestors(c).  Bit c of kids says that a child continues with the six bits
 * c.  A child may sit deeper than d + 6 when no prefix and no branch lies in between (path
 * compression), which is why lookups compare the key of every node they enter.
 *
 * The children of a node are stored by value, side by side in bit order, in one block that
 * child points to; values are in bit order too, in a block that val.many points to, or in
 * val.one when the node holds a single prefix (most nodes near the leaves do).  Storing
 * children by value rather than as pointers is what makes lookups fast on big tables: a
 * step costs one 56-byte node, not a node plus a slot of a pointer array, and the upper levels
 * are small enough to stay in cache (with a million random IPv4 prefixes the 4,161 nodes at
 * depths 0 to 12 take 233 KB), so a lookup typically misses the cache once or twice.  The
 * price is that a node moves when its parent's block is reallocated, so nothing may keep a
 * pointer to a node across a change; nothing does.
 *
 * Except for the two roots, which live in struct lpm at depth 0, no node is kept without a
 * prefix and with fewer than two children, so there are fewer nodes than twice the prefixes
 * and an empty table owns no memory besides struct lpm.  An IPv4 lookup enters at most 6
 * nodes (depths 0, 6, ..., 30; a /32 is a 2-bit prefix at depth 30) and an IPv6 lookup at
 * most 22.
 */
struct lpm_node {
	uint64_t key[2];
	uint64_t pfx;
	uint64_t kids;
	struct lpm_node *child; /* popcount(kids) nodes; NULL when there are none */
	union {
		void *one;   /* the value when popcount(pfx) == 1 */
		void **many; /* popcount(pfx) values when there are two or more */
	} val;		     /* values are owned by the caller */
	uint8_t depth;
};

struct lpm {
	struct lpm_node root[2]; /* IPv4, IPv6; always at depth 0 */
	size_t count;
	size_t bytes; /* the sizes asked of malloc, without allocator overhead */
};

/* A prefix (or an address: a prefix of full width) as the trie sees it. */
struct lpm_key {
	uint64_t w[2];
	unsigned len;
	unsigned fam; /* index into root[] */
};

static inline unsigned popcount64(uint64_t x)
{
#ifdef __POPCNT__
	return (unsigned)__builtin_popcountll(x);
#else
	/* Without the instruction GCC calls an out-of-line libgcc helper; this inlines. */
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

/* Index of the highest set bit; x must not be 0. */
static inline unsigned top_bit(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* The six address bits at [d, d + 6); bits beyond the address read as zero. */
static inline unsigned chunk(const uint64_t w[2], unsigned d)
{
	if (d <= 64 - STRIDE)
		return (unsigned)(w[0] >> (64 - STRIDE - d)) & 63;
	if (d < 64)
		return (unsigned)((w[0] << (d - (64 - STRIDE))) | (w[1] >> (128 - STRIDE - d))) &
		       63;
	if (d <= 128 - STRIDE)
		return (unsigned)(w[1] >> (128 - STRIDE - d)) & 63;
	return (unsigned)(w[1] << (d - (128 - STRIDE))) & 63;
}

/* The inverse of chunk(): ORs the six bits c into w at [d, d + 6). */
static void put_chunk(uint64_t w[2], unsigned d, unsigned c)
{
	if (d <= 64 - STRIDE) {
		w[0] |= (uint64_t)c << (64 - STRIDE - d);
	} else if (d < 64) {
		w[0] |= (uint64_t)c >> (d - (64 - STRIDE));
		w[1] |= (uint64_t)c << (128 - STRIDE - d);
	} else if (d <= 128 - STRIDE) {
		w[1] |= (uint64_t)c << (128 - STRIDE - d);
	} else {
		w[1] |= (uint64_t)c >> (d - (128 - STRIDE));
	}
}

static void mask_words(uint64_t w[2], unsigned len)
{
	if (len < 64) {
		w[0] = len ? w[0] & ~0ULL << (64 - len) : 0;
		w[1] = 0;
	} else if (len < 128) {
		w[1] = len > 64 ? w[1] & ~0ULL << (128 - len) : 0;
	}
}

/* The length of the common leading bits of a and b, at most lim. */
static inline unsigned common_len(const uint64_t a[2], const uint64_t b[2], unsigned lim)
{
	uint64_t x = a[0] ^ b[0];
	unsigned n;

	if (x) {
		n = (unsigned)__builtin_clzll(x);
	} else {
		x = a[1] ^ b[1];
		n = x ? 64 + (unsigned)__builtin_clzll(x) : 128;
	}
	return n < lim ? n : lim;
}

/* true when w agrees with the node's key on its first depth bits. */
static inline bool key_match(const struct lpm_node *n, const uint64_t w[2])
{
	unsigned d = n->depth;
	uint64_t x0 = w[0] ^ n->key[0];

	if (d <= 64)
		return d == 0 || (x0 >> (64 - d)) == 0;
	return x0 == 0 && ((w[1] ^ n->key[1]) >> (128 - d)) == 0;
}

/* The heap position of the prefix with rl bits beyond the node's depth, starting c. */
static inline unsigned pfx_pos(unsigned rl, unsigned c)
{
	return (1u << rl) - 1 + (c >> (STRIDE - rl));
}

/* How many bits beyond the node's depth the prefix at heap position pos has. */
static inline unsigned pos_len(unsigned pos)
{
	return top_bit((uint64_t)pos + 1);
}

/*
 * ancestors(c): the heap positions of the six prefixes on the way to the six bits c, one per
 * length.  A table, because lookups use it at every node.
 */
#define ANC(c)                                                                                   \
	(1ULL | 1ULL << (1 + ((c) >> 5)) | 1ULL << (3 + ((c) >> 4)) | 1ULL << (7 + ((c) >> 3)) | \
	 1ULL << (15 + ((c) >> 2)) | 1ULL << (31 + ((c) >> 1)))
#define ANC4(c)	 ANC(c), ANC((c) + 1), ANC((c) + 2), ANC((c) + 3)
#define ANC16(c) ANC4(c), ANC4((c) + 4), ANC4((c) + 8), ANC4((c) + 12)
static const uint64_t ancestors_of[64] = {ANC16(0), ANC16(16), ANC16(32), ANC16(48)};

static inline uint64_t ancestors(unsigned c)
{
	return ancestors_of[c];
}

static inline uint64_t below(unsigned bit)
{
	return (1ULL << bit) - 1;
}

static inline struct lpm_node *kid(const struct lpm_node *n, unsigned c)
{
	return &n->child[popcount64(n->kids & below(c))];
}

/* The value of the prefix at heap position pos, which must be present. */
static inline void *value_at(const struct lpm_node *n, unsigned pos)
{
	if ((n->pfx & (n->pfx - 1)) == 0)
		return n->val.one;
	return n->val.many[popcount64(n->pfx & below(pos))];
}

static inline void **value_ref(struct lpm_node *n, unsigned pos)
{
	if (popcount64(n->pfx) == 1)
		return &n->val.one;
	return &n->val.many[popcount64(n->pfx & below(pos))];
}

static int key_from_addr(const struct ipaddr *a, unsigned len, struct lpm_key *k)
{
	uint64_t hi, lo;
	uint32_t v4;

	if (a->family == 4) {
		if (len > 32)
			return -EINVAL;
		memcpy(&v4, a->a, 4);
		hi = (uint64_t)__builtin_bswap32(v4) << 32;
		lo = 0;
		k->fam = 0;
	} else if (a->family == 6) {
		if (len > 128)
			return -EINVAL;
		memcpy(&hi, a->a, 8);
		memcpy(&lo, a->a + 8, 8);
		hi = __builtin_bswap64(hi);
		lo = __builtin_bswap64(lo);
		k->fam = 1;
	} else {
		return -EINVAL;
	}
	k->w[0] = hi;
	k->w[1] = lo;
	k->len = len;
	mask_words(k->w, len);
	return 0;
}

static void key_to_cidr(const uint64_t w[2], unsigned fam, unsigned len, struct cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->addr.family = fam ? 6 : 4;
	c->len = (uint8_t)len;
	for (int i = 0; i < 8; i++) {
		c->addr.a[i] = (uint8_t)(w[0] >> (56 - 8 * i));
		if (fam)
			c->addr.a[8 + i] = (uint8_t)(w[1] >> (56 - 8 * i));
	}
}

/* A node at depth d on the path of w, holding nothing yet. */
static void node_init(struct lpm_node *n, unsigned d, const uint64_t w[2])
{
	memset(n, 0, sizeof(*n));
	n->key[0] = w[0];
	n->key[1] = w[1];
	mask_words(n->key, d);
	n->depth = (uint8_t)d;
}

/* Adds the prefix at heap position pos, which must be absent.  0 or -ENOMEM (no change). */
static int node_add_value(struct lpm *t, struct lpm_node *n, unsigned pos, void *value)
{
	unsigned nv = popcount64(n->pfx), i = popcount64(n->pfx & below(pos));
	void **v;

	if (nv == 0) {
		n->val.one = value;
		goto out;
	}
	if (nv == 1) {
		v = malloc(2 * sizeof(*v));
		if (!v)
			return -ENOMEM;
		v[0] = n->val.one;
		t->bytes += 2 * sizeof(*v);
	} else {
		v = realloc(n->val.many, (nv + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->bytes += sizeof(*v);
	}
	memmove(&v[i + 1], &v[i], (nv - i) * sizeof(*v));
	v[i] = value;
	n->val.many = v;
out:
	n->pfx |= 1ULL << pos;
	return 0;
}

/* Drops the prefix at heap position pos, which must be present. */
static void node_del_value(struct lpm *t, struct lpm_node *n, unsigned pos)
{
	unsigned nv = popcount64(n->pfx), i = popcount64(n->pfx & below(pos));
	void **v = n->val.many, **nv_many;

	n->pfx &= ~(1ULL << pos);
	if (nv == 1)
		return;
	if (nv == 2) {
		n->val.one = v[1 - i];
		free(v);
		t->bytes -= 2 * sizeof(*v);
		return;
	}
	memmove(&v[i], &v[i + 1], (nv - i - 1) * sizeof(*v));
	t->bytes -= sizeof(*v);
	/* Shrinking cannot really fail; if it does, the larger block is as good. */
	nv_many = realloc(v, (nv - 1) * sizeof(*v));
	if (nv_many)
		n->val.many = nv_many;
}

/* Adds a copy of *init as child c, which must be absent.  0 or -ENOMEM (no change). */
static int node_add_child(struct lpm *t, struct lpm_node *n, unsigned c,
			  const struct lpm_node *init)
{
	unsigned nk = popcount64(n->kids), i = popcount64(n->kids & below(c));
	struct lpm_node *blk = realloc(n->child, (nk + 1) * sizeof(*blk));

	if (!blk)
		return -ENOMEM;
	memmove(&blk[i + 1], &blk[i], (nk - i) * sizeof(*blk));
	blk[i] = *init;
	n->child = blk;
	n->kids |= 1ULL << c;
	t->bytes += sizeof(*blk);
	return 0;
}

/* Drops child c, which must be present and own nothing any more. */
static void node_del_child(struct lpm *t, struct lpm_node *n, unsigned c)
{
	unsigned nk = popcount64(n->kids), i = popcount64(n->kids & below(c));
	struct lpm_node *blk = n->child;

	n->kids &= ~(1ULL << c);
	t->bytes -= sizeof(*blk);
	if (nk == 1) {
		free(blk);
		n->child = NULL;
		return;
	}
	memmove(&blk[i], &blk[i + 1], (nk - i - 1) * sizeof(*blk));
	blk = realloc(blk, (nk - 1) * sizeof(*blk));
	if (blk)
		n->child = blk;
}

/* Replaces a node that holds no prefix and one child by that child. */
static void node_lift(struct lpm *t, struct lpm_node *n)
{
	struct lpm_node *blk = n->child;

	*n = blk[0];
	free(blk);
	t->bytes -= sizeof(*blk);
}

static int trie_insert(struct lpm *t, struct lpm_node *n, const struct lpm_key *k, void *value,
		       void **old)
{
	unsigned rl = k->len % STRIDE, d = k->len - rl;
	unsigned pos = pfx_pos(rl, chunk(k->w, d));
	struct lpm_node x, *m, *blk;
	unsigned cpl, e, c, cm;
	void **ref;

	/* n's key always agrees with k on n's depth, and n's depth is at most d. */
	for (;;) {
		if (n->depth == d) {
			if (n->pfx >> pos & 1) {
				ref = value_ref(n, pos);
				if (old)
					*old = *ref;
				*ref = value;
				return 0;
			}
			if (node_add_value(t, n, pos, value))
				return -ENOMEM;
			break;
		}
		c = chunk(k->w, n->depth);
		if (!(n->kids >> c & 1)) {
			node_init(&x, d, k->w);
			x.pfx = 1ULL << pos;
			x.val.one = value;
			if (node_add_child(t, n, c, &x))
				return -ENOMEM;
			break;
		}
		m = kid(n, c);
		cpl = common_len(k->w, m->key, d < m->depth ? d : m->depth);
		if (cpl == m->depth) {
			n = m;
			continue;
		}
		/*
		 * The prefix leaves m's path above m's depth: a new node at the last multiple of
		 * the stride before they part takes m's place, with m as its child.  It holds the
		 * prefix itself when that is where the prefix ends, and a new leaf otherwise (the
		 * two then differ in that node's six bits, so they are different children).
		 */
		e = cpl - cpl % STRIDE;
		cm = chunk(m->key, e);
		node_init(&x, e, k->w);
		if (e == d) {
			blk = malloc(sizeof(*blk));
			if (!blk)
				return -ENOMEM;
			blk[0] = *m;
			x.pfx = 1ULL << pos;
			x.val.one = value;
			x.kids = 1ULL << cm;
		} else {
			c = chunk(k->w, e);
			blk = malloc(2 * sizeof(*blk));
			if (!blk)
				return -ENOMEM;
			blk[cm > c] = *m;
			node_init(&blk[c > cm], d, k->w);
			blk[c > cm].pfx = 1ULL << pos;
			blk[c > cm].val.one = value;
			x.kids = 1ULL << cm | 1ULL << c;
		}
		t->bytes += (size_t)popcount64(x.kids) * sizeof(*blk);
		x.child = blk;
		*m = x;
		break;
	}
	t->count++;
	return 0;
}

/*
 * Walks down to the node at the prefix's depth.  Returns it, or NULL when there is none.
 * When path is not NULL it receives the nodes walked through, that one last, and *h their
 * number.  Read-only callers pass a cast-away-const root: nothing is written here.
 */
static struct lpm_node *trie_find(struct lpm_node *n, const struct lpm_key *k,
				  struct lpm_node **path, unsigned *h)
{
	unsigned d = k->len - k->len % STRIDE;
	unsigned c;

	for (;;) {
		if (path)
			path[(*h)++] = n;
		if (n->depth == d)
			return n;
		c = chunk(k->w, n->depth);
		if (!(n->kids >> c & 1))
			return NULL;
		n = kid(n, c);
		if (n->depth > d || !key_match(n, k->w))
			return NULL;
	}
}

/* The caller owns the new, empty table and releases it with lpm_free(). */
struct lpm *lpm_new(void)
{
	return calloc(1, sizeof(struct lpm));
}

/* Frees what n owns (not n itself, which lives in its parent's block or in struct lpm). */
static void node_fini(struct lpm_node *n)
{
	unsigned nk = popcount64(n->kids);

	for (unsigned i = 0; i < nk; i++)
		node_fini(&n->child[i]);
	free(n->child);
	if (popcount64(n->pfx) >= 2)
		free(n->val.many);
}

/* Frees the table and its nodes, never the values.  t may be NULL. */
void lpm_free(struct lpm *t)
{
	if (!t)
		return;
	node_fini(&t->root[0]);
	node_fini(&t->root[1]);
	free(t);
}

/*
 * The table keeps value (borrowed: the caller still owns what it points to) until it is
 * removed or replaced; *old hands a replaced value back to the caller.
 */
int lpm_insert(struct lpm *t, const struct cidr *c, void *value, void **old)
{
	struct lpm_key k;

	if (old)
		*old = NULL;
	if (!value || key_from_addr(&c->addr, c->len, &k) != 0)
		return -EINVAL;
	return trie_insert(t, &t->root[k.fam], &k, value, old);
}

/* Hands the removed value back to the caller; the table's memory for it is released. */
void *lpm_remove(struct lpm *t, const struct cidr *c)
{
	struct lpm_node *path[MAX_LEVELS], *n, *p;
	struct lpm_key k;
	unsigned h = 0, pos;
	void *value;

	if (key_from_addr(&c->addr, c->len, &k) != 0)
		return NULL;
	n = trie_find(&t->root[k.fam], &k, path, &h);
	if (!n)
		return NULL;
	pos = pfx_pos(k.len % STRIDE, chunk(k.w, n->depth));
	if (!(n->pfx >> pos & 1))
		return NULL;
	value = value_at(n, pos);
	node_del_value(t, n, pos);
	t->count--;
	/*
	 * Re-compress.  A node (other than a root) left without prefixes goes away when it has
	 * no child and gives way to its child when it has one.  When it went away its parent
	 * lost a child and may in turn be left with one child and no prefix; lifting that
	 * child changes no child count, so it stops there.
	 */
	if (h < 2 || n->pfx)
		return value;
	p = path[h - 2];
	if (n->kids == 0) {
		node_del_child(t, p, chunk(k.w, p->depth));
		if (h >= 3 && !p->pfx && popcount64(p->kids) == 1)
			node_lift(t, p);
	} else if (popcount64(n->kids) == 1) {
		node_lift(t, n);
	}
	return value;
}

/* Borrows t; the value stays owned by the caller who inserted it. */
void *lpm_get(const struct lpm *t, const struct cidr *c)
{
	const struct lpm_node *n;
	struct lpm_key k;
	unsigned pos;

	if (key_from_addr(&c->addr, c->len, &k) != 0)
		return NULL;
	n = trie_find((struct lpm_node *)&t->root[k.fam], &k, NULL, NULL);
	if (!n)
		return NULL;
	pos = pfx_pos(k.len % STRIDE, chunk(k.w, n->depth));
	if (!(n->pfx >> pos & 1))
		return NULL;
	return value_at(n, pos);
}

/* Borrows t and a; *match is the caller's. */
void *lpm_lookup(const struct lpm *t, const struct ipaddr *a, struct cidr *match)
{
	const struct lpm_node *n, *best = NULL;
	unsigned c, best_pos = 0;
	struct lpm_key k;
	uint64_t hits;

	if (key_from_addr(a, a->family == 4 ? 32 : 128, &k) != 0)
		return NULL;
	n = &t->root[k.fam];
	for (;;) {
		c = chunk(k.w, n->depth);
		hits = n->pfx & ancestors(c);
		if (hits) {
			best = n;
			best_pos = top_bit(hits);
		}
		if (!(n->kids >> c & 1))
			break;
		n = kid(n, c);
		if (!key_match(n, k.w))
			break;
	}
	if (!best)
		return NULL;
	if (match)
		cidr_from_addr(a, best->depth + pos_len(best_pos), match);
	return value_at(best, best_pos);
}

/* Borrows t and a; fn borrows the prefix for the duration of the call. */
size_t lpm_lookup_all(const struct lpm *t, const struct ipaddr *a,
		      int (*fn)(const struct cidr *c, void *value, void *ctx), void *ctx)
{
	struct {
		const struct lpm_node *n;
		unsigned pos;
	} m[MAX_MATCHES];
	const struct lpm_node *n;
	size_t nm = 0, visited = 0;
	struct lpm_key k;
	struct cidr pfx;
	uint64_t hits;
	unsigned c, pos;

	if (key_from_addr(a, a->family == 4 ? 32 : 128, &k) != 0)
		return 0;
	/* Matches are found from the shortest to the longest and reported the other way. */
	n = &t->root[k.fam];
	for (;;) {
		c = chunk(k.w, n->depth);
		for (hits = n->pfx & ancestors(c); hits; hits &= hits - 1) {
			m[nm].n = n;
			m[nm++].pos = (unsigned)__builtin_ctzll(hits);
		}
		if (!(n->kids >> c & 1))
			break;
		n = kid(n, c);
		if (!key_match(n, k.w))
			break;
	}
	while (nm > 0) {
		n = m[--nm].n;
		pos = m[nm].pos;
		visited++;
		if (!fn)
			continue;
		cidr_from_addr(a, n->depth + pos_len(pos), &pfx);
		if (fn(&pfx, value_at(n, pos), ctx))
			break;
	}
	return visited;
}

/* Borrows t. */
size_t lpm_count(const struct lpm *t)
{
	return t->count;
}

/* Borrows t.  Counts struct lpm and the blocks it owns as asked of malloc. */
size_t lpm_memory(const struct lpm *t)
{
	return sizeof(*t) + t->bytes;
}

/*
 * Visits a node in cidr_cmp order.  For each value c of the next six bits come first the
 * node's prefixes that start exactly at c (those whose remaining bits in c are zero),
 * shorter first, then the child for c, whose prefixes all start at or after c and are
 * longer.
 */
static int walk_node(const struct lpm_node *n, unsigned fam,
		     int (*fn)(const struct cidr *c, void *value, void *ctx), void *ctx)
{
	unsigned next = 0, rl, pos;
	struct cidr pfx;
	uint64_t w[2];

	for (unsigned c = 0; c < 64; c++) {
		for (rl = 0; rl < STRIDE; rl++) {
			if (c & ((1u << (STRIDE - rl)) - 1))
				continue;
			pos = pfx_pos(rl, c);
			if (!(n->pfx >> pos & 1))
				continue;
			w[0] = n->key[0];
			w[1] = n->key[1];
			put_chunk(w, n->depth, c);
			key_to_cidr(w, fam, n->depth + rl, &pfx);
			if (fn(&pfx, value_at(n, pos), ctx))
				return 1;
		}
		if ((n->kids >> c & 1) && walk_node(&n->child[next++], fam, fn, ctx))
			return 1;
	}
	return 0;
}

/* Borrows t; fn borrows each prefix for the duration of the call. */
void lpm_walk(const struct lpm *t, int (*fn)(const struct cidr *c, void *value, void *ctx),
	      void *ctx)
{
	for (unsigned f = 0; f < 2; f++)
		if (walk_node(&t->root[f], f, fn, ctx))
			return;
}
