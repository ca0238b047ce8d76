#include "bbs/actions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/toml.h"
#include "util/xalloc.h"

#define ACTIONS_FILE_MAX (256 * 1024)
#define TARGET "{target}"

static bool verb_ok(const char *s, size_t len)
{
	if (len == 0 || len >= ACTION_VERB_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

/* A string without control characters, shorter than ACTION_TEXT_MAX. */
static const char *text_of(const struct toml_value *v, size_t *len)
{
	const char *s = v != NULL && toml_type(v) == TOML_STRING ? toml_string(v, len) : NULL;
	if (s == NULL || *len == 0 || *len >= ACTION_TEXT_MAX || strlen(s) != *len)
		return NULL;
	for (size_t i = 0; i < *len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return s;
}

static int fail(const char *path, const struct toml_value *at, char *err, size_t errlen,
                const char *why)
{
	int line = 0, col = 0;
	if (at != NULL)
		toml_position(at, &line, &col);
	snprintf(err, errlen, "%s:%d:%d: %s", path, line, col, why);
	return -1;
}

static int by_verb(const void *a, const void *b)
{
	return strcmp(((const struct action *)a)->verb, ((const struct action *)b)->verb);
}

int actions_load_text(const char *text, size_t len, const char *path, struct actions *out,
                      char *err, size_t errlen)
{
	struct toml_error te;
	int rc = -1;
	*out = (struct actions){ 0 };
	struct toml_value *root = toml_parse(text, len, &te);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, te.line, te.column, te.message);
		return -1;
	}
	const struct toml_value *arr = toml_table_get(root, "action");
	if (arr == NULL || toml_type(arr) != TOML_ARRAY || toml_array_len(arr) == 0) {
		rc = fail(path, arr ? arr : root, err, errlen,
		          "expected a list of actions, each written as [[action]]");
		goto out;
	}
	size_t n = toml_array_len(arr);
	if (n > ACTIONS_MAX) {
		rc = fail(path, toml_array_at(arr, ACTIONS_MAX), err, errlen, "too many actions");
		goto out;
	}
	out->v = xcalloc(n, sizeof(*out->v));
	for (size_t i = 0; i < n; i++) {
		const struct toml_value *t = toml_array_at(arr, i);
		size_t vl = 0, al = 0, tl = 0;
		if (toml_type(t) != TOML_TABLE) {
			rc = fail(path, t, err, errlen, "each action must be a table: [[action]]");
			goto out;
		}
		const struct toml_value *verb = toml_table_get(t, "verb");
		const char *v = verb && toml_type(verb) == TOML_STRING ? toml_string(verb, &vl) : NULL;
		if (v == NULL || !verb_ok(v, vl)) {
			rc = fail(path, verb ? verb : t, err, errlen,
			          "\"verb\" must be 1 to 20 lower-case letters");
			goto out;
		}
		const char *alone = text_of(toml_table_get(t, "alone"), &al);
		const char *aimed = text_of(toml_table_get(t, "aimed"), &tl);
		if (alone == NULL) {
			rc = fail(path, toml_table_get(t, "alone") ? toml_table_get(t, "alone") : t,
			          err, errlen, "\"alone\" must be 1 to 120 bytes of text");
			goto out;
		}
		const char *mark = aimed ? strstr(aimed, TARGET) : NULL;
		if (mark == NULL || strstr(mark + 1, TARGET) != NULL) {
			rc = fail(path, toml_table_get(t, "aimed") ? toml_table_get(t, "aimed") : t,
			          err, errlen, "\"aimed\" must be 1 to 120 bytes of text with "
			          "{target} in it once");
			goto out;
		}
		struct action *a = &out->v[i];
		memcpy(a->verb, v, vl + 1);
		memcpy(a->alone, alone, al + 1);
		memcpy(a->aimed, aimed, tl + 1);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(out->v[j].verb, a->verb) == 0) {
				rc = fail(path, verb, err, errlen, "this verb is defined twice");
				goto out;
			}
		}
		out->n = i + 1;
	}
	qsort(out->v, out->n, sizeof(*out->v), by_verb);
	rc = 0;
out:
	toml_free(root);
	if (rc != 0)
		actions_free(out);
	return rc;
}

int actions_load(const char *path, struct actions *out, char *err, size_t errlen)
{
	*out = (struct actions){ 0 };
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? 1 : -1;
	}
	char *text = xmalloc(ACTIONS_FILE_MAX + 1);
	size_t len = fread(text, 1, ACTIONS_FILE_MAX + 1, f);
	int rc;
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rc = -1;
	} else if (len > ACTIONS_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, ACTIONS_FILE_MAX);
		rc = -1;
	} else {
		rc = actions_load_text(text, len, path, out, err, errlen);
	}
	free(text);
	fclose(f);
	return rc;
}

void actions_free(struct actions *a)
{
	free(a->v);
	*a = (struct actions){ 0 };
}

const struct action *actions_find(const struct actions *a, const char *verb, size_t len)
{
	for (size_t i = 0; i < a->n; i++)
		if (strlen(a->v[i].verb) == len && strncasecmp(a->v[i].verb, verb, len) == 0)
			return &a->v[i];
	return NULL;
}

void action_text(const struct action *a, const char *target, struct sbuf *out)
{
	if (target == NULL) {
		sbuf_puts(out, a->alone);
		return;
	}
	const char *mark = strstr(a->aimed, TARGET);
	sbuf_append(out, a->aimed, (size_t)(mark - a->aimed));
	sbuf_puts(out, target);
	sbuf_puts(out, mark + strlen(TARGET));
}
