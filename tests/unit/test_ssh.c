/* The SSH module's own parts: the two output framings, and the host keys (made on
 * first use with mode 0600, the same ones loaded afterwards, a file that is no key
 * refused with "PATH: reason"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssh/transport.h"
#include "util/buf.h"

static void test_framing(void **state)
{
	(void)state;
	const char *t = "\x1b[1m\xe2\x95\x94\xe2\x95\x90 caf\xc3\xa9\r\n\xc2\xa0";
	struct buf *u = ssh_frame_utf8((const uint8_t *)t, strlen(t));
	assert_int_equal(u->len, strlen(t));             /* as it is: no CR NUL, no IAC */
	assert_memory_equal(u->data, t, strlen(t));
	struct buf *c = ssh_frame_cp437((const uint8_t *)t, strlen(t));
	static const uint8_t want[] = "\x1b[1m\xc9\xcd caf\x82\r\n\xff";
	assert_int_equal(c->len, sizeof(want) - 1);      /* 0xFF stays one byte */
	assert_memory_equal(c->data, want, sizeof(want) - 1);
	buf_unref(u);
	buf_unref(c);
}

static void test_host_keys(void **state)
{
	(void)state;
	char dir[] = "/tmp/carrier-sshkeys-XXXXXX", sub[64], path[96], err[256], first[2][128];
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/keys", dir);         /* made too */
	struct ssh_host *h = ssh_host_new(sub, err, sizeof(err));
	if (h == NULL)
		fail_msg("%s", err);
	for (size_t i = 0; i < 2; i++) {
		snprintf(first[i], sizeof(first[i]), "%s", ssh_host_fingerprint(h, i));
		assert_non_null(strstr(first[i], "SHA256:"));
	}
	assert_null(ssh_host_fingerprint(h, 2));
	assert_non_null(strstr(first[0], "ssh-ed25519"));
	assert_non_null(strstr(first[1], "ssh-rsa"));
	ssh_host_free(h);
	struct stat st;
	static const char *const files[] = { "ssh_host_ed25519_key", "ssh_host_rsa_key" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", sub, files[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	/* Loaded, not made again: the same keys. */
	h = ssh_host_new(sub, err, sizeof(err));
	assert_non_null(h);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(ssh_host_fingerprint(h, i), first[i]);
	ssh_host_free(h);
	/* Not a key. */
	snprintf(path, sizeof(path), "%s/ssh_host_rsa_key", sub);
	FILE *f = fopen(path, "w");
	fputs("not a key\n", f);
	fclose(f);
	assert_null(ssh_host_new(sub, err, sizeof(err)));
	char want[160];
	snprintf(want, sizeof(want), "%s: not a usable private key", path);
	assert_string_equal(err, want);
	/* The Ed25519 key where the RSA one should be. */
	char ed[96];
	snprintf(ed, sizeof(ed), "%s/ssh_host_ed25519_key", sub);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(link(ed, path), 0);
	assert_null(ssh_host_new(sub, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a ssh-rsa key", path);
	assert_string_equal(err, want);
	unlink(path);
	unlink(ed);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_host_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
