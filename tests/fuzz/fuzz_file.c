/* fuzz_file: the input as a file for the loaders that take a path (fuzz.h). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tests/fuzz/fuzz.h"

const char *fuzz_as_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		/* memfd: nothing reaches the disk, and nothing is left behind on a crash */
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return NULL;
	return path;
}
