/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_CLI_CMD_H
#define PALISADE_CLI_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/resource.h"

struct resource_set;
struct diag_list;

/*
 * One function per verb, one file per verb (src/cli/cmd_<verb>.c).  argv[0] is the verb.
 * Each returns the process exit status: 0 success, 1 "the answer is no / input invalid",
 * 2 usage error or could not do what was asked.
 */
int cmd_validate(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_selector(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_controller(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_lab_responder(int argc, char **argv);
int cmd_nft_delta(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_feed(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);

/* Kind words of get and delete (cmd_get.c): a kind's name, id, plural or lower case. */
bool cli_kind_matches(const char *word, enum res_kind k);
int cli_kind_known(const char *word);

/* The file named by --config FILE or --config=FILE among argv (the last one wins, as getopt
 * would; nothing after "--"), or NULL.  Borrowed from argv. */
const char *cli_config_path(int argc, char **argv);

/* Shared by verbs that take -f PATH...: loads every path into s and runs the cross-object
 * checks.  Prints every diagnostic to stderr (warnings too).  Returns 0 when there were no
 * errors, 1 otherwise. */
int cli_load(struct resource_set *s, char **paths, int npaths);
/* The resources named by -f and the model built from them, for eval, matrix and friends. */
struct cli_world {
	struct resource_set *rs;
	struct model *m;
};

/* Loads, checks and builds; prints diagnostics.  0 on success, else the exit status (1 or 2)
 * with the world released. */
int cli_world_load(struct cli_world *w, char **paths, int npaths);
void cli_world_fini(struct cli_world *w);

/* Prints a diag_list to f, one line each, sorted by file and line. */
void cli_print_diags(FILE *f, struct diag_list *d);

#endif
