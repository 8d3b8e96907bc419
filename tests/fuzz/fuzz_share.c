/* fuzz_share: the parser of a typed Shamir share (runner/shamir.c) on any text,
 * with and without the header the runner knows; a share that parses is formatted
 * again and must parse back to itself. */
#include <string.h>
#include "runner/shamir.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shamir_share s = {0}, again = {0}, known = {0};
	struct err e = {0};
	if (shamir_share_parse((const char *)data, size, &s, &e) == 0) {
		struct secret *text = secret_new(4096, &e);
		if (text && shamir_share_format(&s, text, &e) == 0) {
			if (shamir_share_parse((const char *)text->p, text->len, &again, &e) != 0 ||
			    again.index != s.index || again.threshold != s.threshold || again.count != s.count ||
			    memcmp(again.split_id, s.split_id, sizeof s.split_id) != 0 ||
			    strcmp(again.purpose, s.purpose) != 0 || again.data->len != s.data->len ||
			    memcmp(again.data->p, s.data->p, s.data->len) != 0)
				__builtin_trap(); /* format and parse disagree */
			shamir_share_clear(&again);
		}
		secret_free(text);
		known = s;
		known.data = NULL;
		struct shamir_share only = {0};
		if (shamir_share_parse_known((const char *)data, size, &known, &only, &e) == 0)
			shamir_share_clear(&only);
		shamir_share_clear(&s);
	}
	return 0;
}
