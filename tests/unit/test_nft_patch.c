/* SPDX-License-Identifier: Apache-2.0 */
/* nft_patch: what changes between two renders, in the order the kernel needs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dataplane/nft_patch.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char base[] =
	"add table inet palisade\ndelete table inet palisade\n"
	"table inet palisade {\n"
	"\tset a1_e4 {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1,\n"
	"\t\t\t     10.0.0.2 }\n\t}\n"
	"\n"
	"\tmap ep_ingress {\n\t\ttype ifname : verdict\n"
	"\t\telements = { \"cali1\" : jump e1_in }\n\t}\n"
	"\n"
	"\tchain ingress {\n"
	"\t\ttype filter hook forward priority 1; policy accept;\n"
	"\t\tct state established,related accept\n"
	"\t\toifname vmap @ep_ingress\n\t}\n"
	"\n"
	"\t# e1_in: x/a ingress\n"
	"\tchain e1_in {\n\t\tjump p1_in\n\t\tlog prefix \"R:i:A\" group 1 accept\n\t}\n"
	"\n"
	"\tchain p1_in {\n\t\tip saddr @a1_e4 accept\n\t}\n"
	"}\n";

static char *patch(const char *from, const char *to, int want_rc, struct nft_patch_stats *st)
{
	struct strbuf b;

	strbuf_init(&b);
	assert_int_equal(nft_patch_compute(from, to, &b, st), want_rc);
	return strbuf_steal(&b);
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	struct strbuf b;

	assert_non_null(p);
	strbuf_init(&b);
	strbuf_add(&b, s, (size_t)(p - s));
	strbuf_puts(&b, to);
	strbuf_puts(&b, p + strlen(from));
	return strbuf_steal(&b);
}

static void test_equal_and_comments(void **state)
{
	struct nft_patch_stats st;
	char *to = replace(base, "# e1_in: x/a ingress", "# e1_in: x/b ingress, shared"), *p;

	p = patch(base, to, 0, &st);
	assert_string_equal(p, "");
	assert_int_equal(st.chains_changed + st.chains_added + st.chains_removed, 0);
	free(p);
	free(to);
}

static void test_rule_change(void **state)
{
	struct nft_patch_stats st;
	char *to = replace(base, "\t\tip saddr @a1_e4 accept\n",
			   "\t\tip saddr @a1_e4 tcp dport 80 accept\n\t\tdrop\n"),
	     *p = patch(base, to, 0, &st);

	assert_string_equal(p, "flush chain inet palisade p1_in\n"
			       "add rule inet palisade p1_in ip saddr @a1_e4 tcp dport 80 accept\n"
			       "add rule inet palisade p1_in drop\n");
	assert_int_equal(st.chains_changed, 1);
	assert_int_equal(st.rules, 2);
	free(p);
	free(to);
}

/* A new policy with a new set: set and chain first, then the map entry moves, then the
 * rules, then what went away. */
static void test_new_and_removed(void **state)
{
	struct nft_patch_stats st;
	char *t1 = replace(base, "\"cali1\" : jump e1_in", "\"cali1\" : jump e2_in");
	char *t2 = replace(t1, "\tchain e1_in {\n\t\tjump p1_in\n",
			   "\tchain e2_in {\n\t\tjump p2_in\n\t\tjump p1_in\n");
	char *t3 = replace(t2, "\tchain p1_in {",
			   "\tset a2_n4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
			   "\t\telements = { 192.0.2.0/24 }\n\t}\n"
			   "\tchain p2_in {\n\t\tip saddr @a2_n4 drop\n\t}\n\tchain p1_in {");
	char *p = patch(base, t3, 0, &st);

	assert_string_equal(p, "add set inet palisade a2_n4 { type ipv4_addr; flags interval; }\n"
			       "add element inet palisade a2_n4 { 192.0.2.0/24 }\n"
			       "add chain inet palisade e2_in\n"
			       "add chain inet palisade p2_in\n"
			       "delete element inet palisade ep_ingress { \"cali1\" }\n"
			       "add element inet palisade ep_ingress { \"cali1\" : jump e2_in }\n"
			       "add rule inet palisade e2_in jump p2_in\n"
			       "add rule inet palisade e2_in jump p1_in\n"
			       "add rule inet palisade e2_in log prefix \"R:i:A\" group 1 accept\n"
			       "add rule inet palisade p2_in ip saddr @a2_n4 drop\n"
			       "flush chain inet palisade e1_in\n"
			       "delete chain inet palisade e1_in\n");
	assert_int_equal(st.chains_added, 2);
	assert_int_equal(st.chains_removed, 1);
	assert_int_equal(st.sets_added, 1);
	assert_int_equal(st.sets_changed, 1);
	assert_int_equal(st.elements, 2);
	free(p);
	/* And back: the set goes last, after the chain that used it is flushed and deleted. */
	p = patch(t3, base, 0, &st);
	assert_non_null(strstr(p, "flush chain inet palisade p2_in\n"));
	assert_true(strstr(p, "delete chain inet palisade p2_in\n") <
		    strstr(p, "delete set inet palisade a2_n4\n"));
	assert_int_equal(st.sets_removed, 1);
	free(p);
	free(t1);
	free(t2);
	free(t3);
}

static void test_base_chain(void **state)
{
	char *to = replace(base, "\t\tct state established,related accept\n",
			   "\t\tct state established,related accept\n\t\tct state invalid drop\n");
	char *p = patch(base, to, 0, NULL);

	/* A base chain's rules change in place; its hook line is not a rule. */
	assert_string_equal(p,
			    "flush chain inet palisade ingress\n"
			    "add rule inet palisade ingress ct state established,related accept\n"
			    "add rule inet palisade ingress ct state invalid drop\n"
			    "add rule inet palisade ingress oifname vmap @ep_ingress\n");
	free(p);
	free(to);
	/* A changed hook, a new base chain, a changed set type: only a whole table. */
	to = replace(base, "priority 1;", "priority 2;");
	free(patch(base, to, -EAGAIN, NULL));
	free(to);
	to = replace(base, "\tchain e1_in {",
		     "\tchain unused {\n\t\ttype filter hook prerouting priority 0; policy "
		     "accept;\n\t\tdrop\n\t}\n\tchain e1_in {");
	free(patch(base, to, -EAGAIN, NULL));
	free(to);
	to = replace(base, "\tset a1_e4 {\n\t\ttype ipv4_addr\n",
		     "\tset a1_e4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n");
	free(patch(base, to, -EAGAIN, NULL));
	free(to);
	free(patch(base, "table inet palisade {\n\tset x {\n\t\telements = { 1,\n}\n", -EAGAIN,
		   NULL));
}

/* Sets with expiring elements: the same rules as a delta (nft_delta.h), as nft commands. */
static void test_timeouts(void **state)
{
	struct nft_patch_stats st;
	char *timed =
		replace(base,
			"\tset a1_e4 {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1,\n"
			"\t\t\t     10.0.0.2 }\n",
			"\tset a1_e4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n"
			"\t\telements = { 10.0.0.1,\n\t\t\t     10.0.0.2 timeout 10s,\n"
			"\t\t\t     10.0.0.3 timeout 10s,\n\t\t\t     10.0.0.4 timeout 10s }\n");
	char *old = replace(timed, "add table", "# now=1000 (...)\nadd table");
	/* 5 s later: .2 unchanged, .3 gone, .4 extended, .5 new; and a rule changes. */
	char *t1 = replace(timed,
			   "10.0.0.2 timeout 10s,\n\t\t\t     10.0.0.3 timeout 10s,\n"
			   "\t\t\t     10.0.0.4 timeout 10s }",
			   "10.0.0.2 timeout 5s,\n\t\t\t     10.0.0.4 timeout 30s,\n"
			   "\t\t\t     10.0.0.5 timeout 9s }");
	char *t2 = replace(t1, "add table", "# now=1005 (...)\nadd table");
	char *to = replace(t2, "\t\tip saddr @a1_e4 accept\n", "\t\tip saddr @a1_e4 drop\n");
	char *p = patch(old, to, 0, &st);

	/* The gone element is added with 1 s first, so that its delete holds whether or not the
	 * kernel has expired it; adds restart the element's clock with "expires". */
	assert_string_equal(p,
			    "add element inet palisade a1_e4 { 10.0.0.3 timeout 1s }\n"
			    "delete element inet palisade a1_e4 { 10.0.0.3 }\n"
			    "add element inet palisade a1_e4 { 10.0.0.4 timeout 30s expires 30s, "
			    "10.0.0.5 timeout 9s expires 9s }\n"
			    "flush chain inet palisade p1_in\n"
			    "add rule inet palisade p1_in ip saddr @a1_e4 drop\n");
	assert_int_equal(st.elements, 3);
	assert_int_equal(st.sets_changed, 1);
	free(p);
	/* A set that gains `flags timeout` changes its declaration: the whole table. */
	free(patch(base, old, -EAGAIN, NULL));
	/* A new timed set: declared with its flags, its elements as rendered. */
	free(to);
	to = replace(t2, "\tchain p1_in {",
		     "\tset a2_e4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n"
		     "\t\telements = { 192.0.2.1 timeout 7s }\n\t}\n"
		     "\tchain p2_in {\n\t\tip saddr @a2_e4 drop\n\t}\n\tchain p1_in {");
	p = patch(old, to, 0, &st);
	assert_non_null(strstr(p, "add set inet palisade a2_e4 { type ipv4_addr; flags timeout; }\n"
				  "add element inet palisade a2_e4 { 192.0.2.1 timeout 7s }\n"));
	free(p);
	/* An element with a timeout needs the "# now=" line. */
	free(patch(old, timed, -EAGAIN, NULL));
	free(old);
	free(timed);
	free(t1);
	free(t2);
	free(to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_and_comments), cmocka_unit_test(test_rule_change),
		cmocka_unit_test(test_new_and_removed),	   cmocka_unit_test(test_base_chain),
		cmocka_unit_test(test_timeouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
