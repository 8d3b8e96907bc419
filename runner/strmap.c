/* strmap: open addressing with linear probing (see strmap.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "strmap.h"

struct strmap_slot {
	char *key;      /* NULL: empty */
	size_t len, value;
	uint64_t hash;
};

static uint64_t fnv1a(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211u;
	}
	return h;
}

/* The slot of key, or the empty slot where it would go. m->cap > 0. */
static struct strmap_slot *find(const struct strmap *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &m->slot[i];
		if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len)))
			return s;
	}
}

static int grow(struct strmap *m, struct err *e)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	if (cap > SIZE_MAX / sizeof(struct strmap_slot))
		return err_set(e, ERR_NOMEM, "out of memory");
	struct strmap old = *m;
	m->slot = calloc(cap, sizeof *m->slot);
	if (!m->slot) {
		*m = old;
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slot[i].key)
			*find(m, old.slot[i].key, old.slot[i].len, old.slot[i].hash) = old.slot[i];
	free(old.slot);
	return 0;
}

int strmap_put(struct strmap *m, const void *key, size_t len, size_t value, struct err *e)
{
	uint64_t h = fnv1a(key, len);
	struct strmap_slot *s = m->cap ? find(m, key, len, h) : NULL;
	if (s && s->key) {
		s->value = value;
		return 0;
	}
	if (2 * (m->n + 1) > m->cap) {
		if (grow(m, e))
			return -1;
	}
	s = find(m, key, len, h);
	/* +1: a zero-length key still gets a non-NULL copy (NULL marks an empty slot). */
	char *k = malloc(len + 1);
	if (!k)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (len)
		memcpy(k, key, len);
	*s = (struct strmap_slot){.key = k, .len = len, .value = value, .hash = h};
	m->n++;
	return 0;
}

bool strmap_get(const struct strmap *m, const void *key, size_t len, size_t *value)
{
	if (!m->cap)
		return false;
	const struct strmap_slot *s = find(m, key, len, fnv1a(key, len));
	if (!s->key)
		return false;
	*value = s->value;
	return true;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slot[i].key);
	free(m->slot);
	*m = (struct strmap){0};
}
