/* replay: the main of a fuzz target built without libFuzzer (fuzz.h). Each argument
 * is a file, or a folder whose regular files are read (not recursively, in name
 * order); each file is given to LLVMFuzzerTestOneInput once. Prints how many ran.
 * A finding shows as a crash, an abort or (under the sanitizers) their report. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "runner/files.h"
#include "tests/fuzz/fuzz.h"

/* A target without an initialiser gets this one (weak: theirs wins). */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* A file of the corpus, read by the runner's own reader (runner/files.c). */
static int run_file(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct err e = {0};
	if (files_read(path, 64u << 20, &data, &len, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	unsigned long ran = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0)
				return 1;
			ran++;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			perror(argv[i]);
			return 1;
		}
		int rc = 0;
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
			if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) != 0)
					rc = 1;
				else
					ran++;
			}
			free(names[k]);
		}
		free(names);
		if (rc)
			return 1;
	}
	printf("%lu inputs ran\n", ran);
	return 0;
}
