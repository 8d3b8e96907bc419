/* fuzz.h: what every fuzz target of tests/fuzz defines, and the one helper they share.
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize). Built two ways (Makefile):
 *   - with clang's libFuzzer (`make fuzz`): build-fuzz/fuzz/NAME, ASan + UBSan;
 *   - with replay.c's main (`make check`, any compiler): build/fuzz/NAME FILE|DIR...
 *     runs each file of the corpus tests/fuzz/corpus/NAME once, so the seeds and
 *     every crash kept there stay fixed.
 * Test-only: nothing here is linked into ceremony.
 */
#ifndef CER_FUZZ_H
#define CER_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The loaders under test read paths (a script's answers, a binding): the input is
 * written to an anonymous file whose /proc/self/fd path is returned (a static
 * buffer, valid until the next call), NULL when that fails. The file is the same
 * one each call (truncated first). */
const char *fuzz_as_file(const uint8_t *data, size_t size);

#endif
