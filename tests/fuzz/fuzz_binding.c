/* fuzz_binding: the binding loader (runner/binding.c) on any bytes, against a
 * fixed script of two tokens and a participant who signs. */
#include <string.h>
#include "runner/binding.h"
#include "runner/step.h"
#include "tests/fuzz/fuzz.h"

static const char script[] = "ceremony: 1\n"
			     "title: Fuzz binding\n"
			     "roles:\n"
			     "  administrator: {count: 1}\n"
			     "  witness: {count: 1}\n"
			     "tokens:\n"
			     "  root: {label: ROOT}\n"
			     "  backup: {label: BACKUP}\n"
			     "steps:\n"
			     "  - id: attendance\n"
			     "    type: attendance\n";

static struct ceremony *c;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct err e = {0};
	if (script_parse("fuzz-binding.yaml", (const uint8_t *)script, strlen(script), &step_registry, &c, &e) != 0)
		c = NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!c)
		__builtin_trap(); /* the fixed script must load: else nothing is fuzzed */
	const char *path = fuzz_as_file(data, size);
	struct binding *b = NULL;
	struct err e = {0};
	if (path && binding_load(path, c, &b, &e) == 0)
		binding_free(b);
	return 0;
}
