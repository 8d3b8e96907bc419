/* softhsm: throwaway SoftHSM2 token stores. See softhsm.h.
 *
 * SoftHSM reads SOFTHSM2_CONF in C_Initialize, so pointing the variable at a
 * fresh directory is all it takes to give a rehearsal its own tokens without
 * touching the machine's /var/lib/softhsm.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "files.h"
#include "softhsm.h"
#include "token.h"

struct softhsm_store {
	char *dir;
	char *old_conf;   /* SOFTHSM2_CONF before us, restored on free; NULL if unset */
	bool had_conf;
};

static int write_conf(const char *conf, const char *tokendir, struct err *e)
{
	FILE *f = NULL;
	int fd, ret = -1;

	/* O_EXCL: the directory is ours (mkdtemp), so an existing file means trouble. */
	fd = open(conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_errno(e, "cannot create '%s'", conf);
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err_errno(e, "cannot write '%s'", conf);
		close(fd);
		goto out;
	}
	/* slots.removable = false: the tokens stay put, so sessions survive a rescan. */
	fprintf(f, "# written by ceremony for a throwaway token store\n"
		   "directories.tokendir = %s\n"
		   "objectstore.backend = file\n"
		   "log.level = ERROR\n"
		   "slots.removable = false\n",
		tokendir);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		err_errno(e, "cannot write '%s'", conf);
		goto out;
	}
	ret = 0;
out:
	if (f && fclose(f) != 0 && ret == 0)
		ret = err_errno(e, "cannot write '%s'", conf);
	return ret;
}

/* SOFTHSM2_CONF at conf; the old value is restored by softhsm_store_free. */
static int point_at(struct softhsm_store *s, const char *conf, struct err *e)
{
	const char *old = getenv("SOFTHSM2_CONF");
	if (old) {
		if (!(s->old_conf = strdup(old)))
			return err_set(e, ERR_NOMEM, "out of memory");
		s->had_conf = true;
	}
	if (setenv("SOFTHSM2_CONF", conf, 1) != 0)
		return err_errno(e, "cannot set SOFTHSM2_CONF");
	return 0;
}

int softhsm_store_new(const char *parent, struct softhsm_store **out, struct err *e)
{
	struct softhsm_store *s = NULL;
	char *tmpl = NULL, *tokens = NULL, *conf = NULL;
	bool made = false;
	int ret = -1;

	*out = NULL;
	if (!parent || !*parent)
		parent = getenv("TMPDIR");
	if (!parent || !*parent)
		parent = "/tmp";
	if (strpbrk(parent, "\n\r#")) {
		/* SoftHSM's configuration is line-based and '#' starts a comment. */
		err_set(e, ERR_INPUT, "the token store's parent directory '%s' contains a newline or '#'", parent);
		goto out;
	}
	s = calloc(1, sizeof *s);
	if (!s || asprintf(&tmpl, "%s/ceremony-tokens.XXXXXX", parent) < 0) {
		tmpl = NULL;
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!mkdtemp(tmpl)) {
		err_errno(e, "cannot create a token store under '%s'", parent);
		goto out;
	}
	made = true;
	if (asprintf(&tokens, "%s/tokens", tmpl) < 0 || asprintf(&conf, "%s/softhsm2.conf", tmpl) < 0) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mkdir(tokens, 0700) != 0) {
		err_errno(e, "cannot create '%s'", tokens);
		goto out;
	}
	if (write_conf(conf, tokens, e) != 0)
		goto out;
	if (point_at(s, conf, e) != 0)
		goto out;
	s->dir = tmpl;
	tmpl = NULL;
	*out = s;
	s = NULL;
	made = false;
	ret = 0;
out:
	if (made) {
		/* Undo a half-made store: at most the conf file and two empty directories. */
		if (conf)
			(void)unlink(conf);
		if (tokens)
			(void)rmdir(tokens);
		(void)rmdir(tmpl);
	}
	if (s)
		free(s->old_conf);
	free(s);
	free(tmpl);
	free(tokens);
	free(conf);
	return ret;
}

/* The one "ceremony-tokens.*" folder in parent (*found malloc'ed: its name). */
static int store_in(const char *parent, const char *if_none, char **found, struct err *e)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	*found = NULL;
	if (!d)
		return err_errno(e, "cannot read the folder '%s'", parent);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "ceremony-tokens.", 16))
			continue;
		if (*found) {
			err_set(e, ERR_INPUT, "'%s' holds more than one rehearsal token store (%s, %s)", parent, *found,
				de->d_name);
			goto fail;
		}
		if (!(*found = strdup(de->d_name))) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	closedir(d);
	if (!*found)
		return err_set(e, ERR_INPUT, "'%s' holds no rehearsal token store (ceremony-tokens.*): %s", parent, if_none);
	return 0;
fail:
	free(*found);
	*found = NULL;
	closedir(d);
	return -1;
}

int softhsm_store_find(const char *parent, struct softhsm_store **out, struct err *e)
{
	struct softhsm_store *s = NULL;
	char *conf = NULL, *found = NULL;
	int ret = -1;
	*out = NULL;
	if (store_in(parent, "the rehearsal's throwaway tokens are gone, so it cannot be resumed; rehearse again", &found,
		     e))
		return -1;
	/* asprintf leaves its pointer undefined when it fails: each is reset. */
	if (!(s = calloc(1, sizeof *s)) || (asprintf(&s->dir, "%s/%s", parent, found) < 0 && !(s->dir = NULL)) ||
	    (asprintf(&conf, "%s/softhsm2.conf", s->dir) < 0 && !(conf = NULL))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (access(conf, R_OK) != 0) {
		err_errno(e, "the rehearsal token store's '%s'", conf);
		goto out;
	}
	if (point_at(s, conf, e))
		goto out;
	*out = s;
	s = NULL;
	ret = 0;
out:
	if (s) {
		free(s->dir);
		free(s->old_conf);
		free(s);
	}
	free(found);
	free(conf);
	return ret;
}

/* --- a store taken on from an earlier rehearsal ----------------------------- */

static const char *copy_from, *copy_to;   /* nftw has no context argument */

static int copy_file(const char *from, const char *to, mode_t mode, struct err *e)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, ret = -1;
	char buf[65536];
	ssize_t n;
	if (in < 0)
		return err_errno(e, "cannot read '%s'", from);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0700)) < 0) {
		err_errno(e, "cannot create '%s'", to);
		goto out;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err_errno(e, "cannot write '%s'", to);
			goto out;
		}
	if (n < 0 || fsync(out) != 0) {
		err_errno(e, "cannot copy '%s'", from);
		goto out;
	}
	ret = 0;
out:
	if (out >= 0)
		close(out);
	close(in);
	return ret;
}

static struct err *copy_err;

static int copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char to[4096];
	(void)ftw;
	if (snprintf(to, sizeof to, "%s%s", copy_to, path + strlen(copy_from)) >= (int)sizeof to)
		return err_set(copy_err, ERR_INPUT, "a path in the earlier token store is too long: %s", path), 1;
	if (type == FTW_D)
		return !strcmp(path, copy_from) ? 0
		       : mkdir(to, 0700) != 0 ? (err_errno(copy_err, "cannot create '%s'", to), 1)
					       : 0;
	if (type == FTW_F)
		return copy_file(path, to, st->st_mode, copy_err) ? 1 : 0;
	/* A link or anything else is not what SoftHSM writes: refuse rather than follow. */
	return err_set(copy_err, ERR_INPUT, "'%s' in the earlier token store is not a file or folder", path), 1;
}

int softhsm_store_take_on(struct softhsm_store *s, const char *earlier, char *keepsafe, size_t cap, struct err *e)
{
	char *found = NULL, from[4096], to[4096];
	int rc;
	if (store_in(earlier, "rehearse the earlier ceremony with --keep, so that its tokens stay", &found, e))
		return -1;
	snprintf(keepsafe, cap, "%s/%s/keepsafe", earlier, found);
	if (snprintf(from, sizeof from, "%s/%s/tokens", earlier, found) >= (int)sizeof from ||
	    snprintf(to, sizeof to, "%s/tokens", s->dir) >= (int)sizeof to) {
		free(found);
		return err_set(e, ERR_INPUT, "the token store's path is too long");
	}
	free(found);
	copy_from = from;
	copy_to = to;
	copy_err = e;
	rc = nftw(from, copy_one, 16, FTW_PHYS);
	copy_from = copy_to = NULL;
	copy_err = NULL;
	if (rc < 0)
		return err_errno(e, "cannot copy the earlier token store '%s'", from);
	return rc ? -1 : 0;
}

const char *softhsm_store_dir(const struct softhsm_store *s)
{
	return s->dir;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	/* Keep going on a failure: remove as much of the store as we can. */
	if (remove(path) != 0)
		fprintf(stderr, "ceremony: cannot remove '%s': %s\n", path, strerror(errno));
	return 0;
}

void softhsm_store_free(struct softhsm_store *s, bool keep)
{
	if (!s)
		return;
	if (keep) {
		fprintf(stderr, "ceremony: SoftHSM token store kept in %s (use SOFTHSM2_CONF=%s/softhsm2.conf)\n",
			s->dir, s->dir);
	} else {
		/* FTW_DEPTH: contents before their directory; FTW_PHYS: never follow a
		 * symlink out of the store. */
		if (nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
			fprintf(stderr, "ceremony: cannot remove the token store '%s': %s\n", s->dir, strerror(errno));
	}
	if (s->had_conf)
		(void)setenv("SOFTHSM2_CONF", s->old_conf, 1);
	else
		(void)unsetenv("SOFTHSM2_CONF");
	free(s->old_conf);
	free(s->dir);
	free(s);
}

int softhsm_module_load(const char *path, struct tok_module **out, struct err *e)
{
	struct tok_module_info mi;
	const char *p = path ? path : tok_default_module();
	*out = NULL;
	if (tok_module_load(p, out, e))
		return -1;
	if (tok_module_info(*out, &mi, e))
		goto fail;
	if (!strstr(mi.manufacturer, "SoftHSM")) {
		err_set(e, ERR_MODULE, "a rehearsal only initialises throwaway SoftHSM tokens; '%s' is a module of '%s' "
				     "(use `ceremony run --bind` for real tokens)", p, mi.manufacturer);
		goto fail;
	}
	return 0;
fail:
	tok_module_free(*out);
	*out = NULL;
	return -1;
}

int softhsm_store_set_after(struct softhsm_store *s, const char *earlier, struct err *e)
{
	char path[4096], abs[PATH_MAX];
	if (!realpath(earlier, abs))
		return err_errno(e, "cannot resolve '%s'", earlier);
	snprintf(path, sizeof path, "%s/after", s->dir);
	return files_write_new(path, abs, strlen(abs), e);
}

int softhsm_store_after(const struct softhsm_store *s, char *out, size_t cap, struct err *e)
{
	char path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	out[0] = 0;
	snprintf(path, sizeof path, "%s/after", s->dir);
	if (access(path, F_OK) != 0)
		return 0;
	if (files_read(path, PATH_MAX, &data, &len, e))
		return -1;
	snprintf(out, cap, "%.*s", (int)len, (const char *)data);
	free(data);
	return 0;
}
