/* cmd_tokens: `ceremony tokens` lists a module's slots, tokens and mechanisms.
 *
 * The operator's first look at the equipment: what the module is, which tokens it
 * sees, and the URI to put in the binding file. It needs no PIN and logs in to
 * nothing; it only reads what PKCS#11 shows without login (§5.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "token.h"

void cmd_tokens_usage(FILE *f)
{
	fprintf(f,
		"usage: ceremony tokens [--module PATH] [--mechanisms] [--uri URI]\n"
		"\n"
		"Lists the slots and tokens of a PKCS#11 module: for each slot its id and\n"
		"description, and for a token its label, manufacturer, model, serial number,\n"
		"hardware and firmware versions, flags and PKCS#11 URI (RFC 7512). No PIN is\n"
		"asked for and nothing is changed.\n"
		"\n"
		"options:\n"
		"  --module PATH   the PKCS#11 module to load (default: SoftHSM2, %s)\n"
		"  --mechanisms    also list each token's mechanisms with key sizes and flags\n"
		"  --uri URI       show only the one initialised token this PKCS#11 URI names\n"
		"  -h, --help      show this help\n"
		"\n"
		"EXIT STATUS\n"
		"  0  the module was loaded and listed\n"
		"  1  the module could not be loaded or queried, or no single token matches --uri\n"
		"  2  bad usage (unknown option, missing value, a --uri that is not a usable URI)\n"
		"\n"
		"EXAMPLES\n"
		"  ceremony tokens\n"
		"  ceremony tokens --module /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so --mechanisms\n"
		"  ceremony tokens --uri 'pkcs11:token=EXAMPLE-ROOT-CA'\n",
		tok_default_module());
}

/* Takes the value of an option given as "--opt VALUE" or "--opt=VALUE".
 * Returns 1 when argv[*i] is this option, 0 when it is not, -1 when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

static void print_mechanisms(struct tok_module *m, CK_SLOT_ID slot)
{
	CK_MECHANISM_TYPE *mechs = NULL;
	size_t n = 0;
	struct err e = {.kind = ERR_NONE};

	if (tok_mechanisms(m, slot, &mechs, &n, &e) != 0) {
		printf("  mechanisms:    (unavailable: %s)\n", e.msg);
		goto out;
	}
	printf("  mechanisms:    %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		CK_MECHANISM_INFO mi;
		char hex[24], flags[256];
		const char *name = tok_mech_name(mechs[i]);
		if (!name) {
			snprintf(hex, sizeof hex, "0x%08lX", (unsigned long)mechs[i]);
			name = hex;
		}
		if (tok_mechanism_info(m, slot, mechs[i], &mi, &e) != 0) {
			printf("    %-32s (no information: %s)\n", name, e.code);
			continue;
		}
		tok_mech_flags_text(mi.flags, flags, sizeof flags);
		/* Key sizes are in bits or bytes depending on the mechanism (§4.15), so
		 * they are shown as the module gives them. */
		if (mi.ulMinKeySize || mi.ulMaxKeySize)
			printf("    %-32s key size %lu-%lu  %s\n", name, (unsigned long)mi.ulMinKeySize,
			       (unsigned long)mi.ulMaxKeySize, flags);
		else
			printf("    %-32s %s\n", name, flags);
	}
out:
	free(mechs);
}

static void print_slot(struct tok_module *m, const struct tok_info *t, bool mechanisms)
{
	char flags[512];
	char *uri = NULL;

	printf("slot %lu\n", (unsigned long)t->slot);
	printf("  description:   %s\n", t->slot_description);
	tok_slot_flags_text(t->slot_flags, flags, sizeof flags);
	printf("  slot flags:    %s\n", flags);
	if (!t->token_present) {
		printf("  token:         (none)\n");
		return;
	}
	printf("  label:         %s\n", t->label[0] ? t->label : "(empty)");
	printf("  manufacturer:  %s\n", t->manufacturer);
	printf("  model:         %s\n", t->model);
	printf("  serial:        %s\n", t->serial);
	printf("  hardware:      %u.%u\n", t->hw_major, t->hw_minor);
	printf("  firmware:      %u.%u\n", t->fw_major, t->fw_minor);
	tok_flags_text(t->token_flags, flags, sizeof flags);
	printf("  flags:         %s\n", flags);
	if (!(t->token_flags & CKF_TOKEN_INITIALIZED))
		printf("  state:         not initialised\n");
	uri = tok_uri(t);
	printf("  uri:           %s\n", uri ? uri : "(cannot be formatted)");
	free(uri);
	if (mechanisms)
		print_mechanisms(m, t->slot);
}

int cmd_tokens(int argc, char **argv)
{
	const char *module = NULL, *uri = NULL;
	bool mechanisms = false;
	struct tok_module *m = NULL;
	struct tok_module_info mi;
	struct tok_info *list = NULL;
	size_t n = 0;
	CK_SLOT_ID want = 0;
	struct err e = {.kind = ERR_NONE};
	int rc, ret = EXIT_FAILED;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (cmd_is_help(a)) {
			cmd_tokens_usage(stdout);
			ret = EXIT_OK;
			goto out;
		}
		if (strcmp(a, "--mechanisms") == 0) {
			mechanisms = true;
			continue;
		}
		if ((rc = opt_value(argc, argv, &i, "--module", &module)) == 0)
			rc = opt_value(argc, argv, &i, "--uri", &uri);
		if (rc == 1)
			continue;
		if (rc < 0)
			fprintf(stderr, "ceremony tokens: option '%s' needs a value\n", a);
		else if (a[0] == '-')
			fprintf(stderr, "ceremony tokens: unknown option '%s'\n", a);
		else
			fprintf(stderr, "ceremony tokens: unexpected argument '%s'\n", a);
		fprintf(stderr, "usage: ceremony tokens [--module PATH] [--mechanisms] [--uri URI] (see --help)\n");
		ret = EXIT_USAGE;
		goto out;
	}
	if (module && !*module) {
		fprintf(stderr, "ceremony tokens: --module needs a path\n");
		ret = EXIT_USAGE;
		goto out;
	}
	if (!module)
		module = tok_default_module();

	if (tok_module_load(module, &m, &e) != 0)
		goto out;
	if (tok_module_info(m, &mi, &e) != 0)
		goto out;
	printf("module %s\n", tok_module_path(m));
	printf("  library:       %s (%s), version %u.%u, PKCS#11 %u.%u\n", mi.description, mi.manufacturer,
	       mi.lib_major, mi.lib_minor, mi.cryptoki_major, mi.cryptoki_minor);
	if (uri && tok_find_uri(m, uri, &want, &e) != 0)
		goto out;
	if (tok_list(m, &list, &n, &e) != 0)
		goto out;
	if (n == 0)
		printf("no slots\n");
	for (size_t i = 0; i < n; i++) {
		if (uri && list[i].slot != want)
			continue;
		printf("\n");
		print_slot(m, &list[i], mechanisms);
	}
	ret = EXIT_OK;
out:
	/* Option errors were reported where they were found; the rest here. A URI that
	 * does not parse (code "input") is bad usage, not a token failure. */
	if (ret == EXIT_FAILED && e.msg[0]) {
		fprintf(stderr, "ceremony tokens: %s\n", e.msg);
		if (e.kind == ERR_INPUT)
			ret = EXIT_USAGE;
	}
	free(list);
	tok_module_free(m);
	return ret;
}
