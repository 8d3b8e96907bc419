/* fuzz_script: the script loader (runner/script.c and the step types' validators)
 * on any bytes. Input files a script names (CSRs, earlier transcripts, blobs) are
 * refused by the source below, so nothing outside the input is read. */
#include "runner/script.h"
#include "runner/step.h"
#include "tests/fuzz/fuzz.h"

static int no_files(void *ctx, const char *name, const char *path, size_t max, uint8_t **data, size_t *len,
		    struct err *e)
{
	(void)ctx;
	(void)max;
	(void)data;
	(void)len;
	return err_set(e, ERR_IO, "%s: %s: not read while fuzzing", name, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct script_input_source source = {no_files, NULL};
	struct ceremony *c = NULL;
	struct err e = {0};
	if (script_parse_from("fuzz.yaml", data, size, &step_registry, &source, &c, &e) == 0)
		script_free(c);
	return 0;
}
