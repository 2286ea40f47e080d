/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's configuration reader (src/cli/controller_config.c): any bytes either load or
 * are refused with diagnostics, and what loads prints.  The reader is a CLI module, not in
 * libpalisade.a, so the target compiles it in; it needs nothing but the pure core.
 */
#include "cli/controller_config.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct controller_config cfg;
	struct arena a;
	struct diag_list d;
	const char *lab = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	controller_config_init(&cfg);
	arena_init(&a);
	diag_list_init(&d);
	rc = controller_config_parse((const char *)data, size, "fuzz.yaml", &cfg, &lab, &a, &d);
	if (rc == 0) {
		f = open_memstream(&out, &len);
		if (f) {
			controller_config_print(f, &cfg, lab);
			fclose(f);
		}
		free(out);
	} else if (rc == -EINVAL && !d.errors) {
		abort(); /* refused without saying why */
	}
	diag_list_fini(&d);
	arena_fini(&a);
	return 0;
}
