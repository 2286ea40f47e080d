/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cmd.h"

#include <stdio.h>
#include <string.h>

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct verb verbs[] = {
	{"validate", cmd_validate, "check manifests; every error with file, line and field"},
	{"eval", cmd_eval, "would a connection be allowed, and which rule decided"},
	{"matrix", cmd_matrix, "the allowed/denied table between every pod and host"},
	{"analyze", cmd_analyze, "flow logs a capture would have produced under the policies"},
	{"selector", cmd_selector, "evaluate a Calico selector against labels"},
	{"apply", cmd_apply, "add or replace objects in the datastore (kubectl apply)"},
	{"get", cmd_get, "list or print objects of the datastore"},
	{"delete", cmd_delete, "remove objects from the datastore"},
	{"agent", cmd_agent, "enforce policy on one node with nftables (--dry-run prints it)"},
	{"controller", cmd_controller,
	 "detection, threat feeds and response for the cluster (one per cluster)"},
	{"flows", cmd_flows, "read the flow logs of a lab's nodes: filter, table, summary"},
	{"events", cmd_events, "read the security events of a lab's controller: filter, table"},
	{"feed", cmd_feed, "threat feeds: check one offline, sync or confirm the controller's"},
	{"quarantine", cmd_quarantine,
	 "see and edit the quarantine: addresses blocked until they expire"},
	{"lab", cmd_lab, "a cluster of network namespaces on this machine: up, probe, down"},
	{"lab-responder", cmd_lab_responder, "(internal) a lab pod's port responder"},
	{"nft-delta", cmd_nft_delta, "(internal) element delta of two renders; --apply sends it"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: palisade <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f,
		"\n'palisade <command> --help' describes a command; docs/cli.md has them all.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "palisade: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
