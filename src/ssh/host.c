/* The SSH host keys, and libssh's server settings around them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "ssh/internal.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Key exchanges whose server side is a few milliseconds at most: curve25519 and
 * ECDH, and the finite-field groups up to 4096 bits for older clients (no group
 * 18: an 8192-bit exponent would hold the loop for a noticeable time). */
static const char kex[] =
	"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
	"ecdh-sha2-nistp521,diffie-hellman-group16-sha512,diffie-hellman-group14-sha256,"
	"diffie-hellman-group14-sha1";

static const struct {
	const char *file;
	enum ssh_keytypes_e type;
	int bits;
} key_kinds[SSH_HOST_KEYS] = {
	{ "ssh_host_ed25519_key", SSH_KEYTYPE_ED25519, 0 },
	{ "ssh_host_rsa_key", SSH_KEYTYPE_RSA, 3072 },
};

static void libssh_log(int priority, const char *function, const char *buffer, void *ud)
{
	(void)ud;
	(void)function;
	log_debug("event=libssh priority=%d message=%s", priority, LOG_Q(buffer));
}

/* Write a new key of kind k to path, mode 0600 (never over an existing file). */
static ssh_key make_key(size_t k, const char *path, char *err, size_t err_len)
{
	ssh_key key = NULL;
	char *text = NULL;
	int fd = -1;
	if (ssh_pki_generate(key_kinds[k].type, key_kinds[k].bits, &key) != SSH_OK ||
	    ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &text) != SSH_OK) {
		snprintf(err, err_len, "%s: cannot make a key", path);
		goto fail;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0)
			unlink(path);
		goto fail;
	}
	close(fd);
	ssh_string_free_char(text);
	log_info("event=ssh_host_key_made path=%s", LOG_Q(path));
	return key;
fail:
	if (fd >= 0)
		close(fd);
	ssh_string_free_char(text);
	ssh_key_free(key);
	return NULL;
}

static ssh_key load_key(size_t k, const char *path, char *err, size_t err_len)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return make_key(k, path, err, err_len);
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	ssh_key key = NULL;
	if (access(path, R_OK) != 0) {
		snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
		snprintf(err, err_len, "%s: not a usable private key", path);
		return NULL;
	}
	if (ssh_key_type(key) != key_kinds[k].type) {
		snprintf(err, err_len, "%s: not a %s key", path, ssh_key_type_to_char(key_kinds[k].type));
		ssh_key_free(key);
		return NULL;
	}
	if ((st.st_mode & 077) != 0)
		log_warn("event=key_readable_by_others path=%s mode=%04o advice=chmod_600", LOG_Q(path),
		         (unsigned)(st.st_mode & 07777));
	return key;
}

static void fingerprint(ssh_key key, char *out, size_t len)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	snprintf(out, len, "?");
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != SSH_OK)
		return;
	char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	if (fp != NULL)
		snprintf(out, len, "%s %s", ssh_key_type_to_char(ssh_key_type(key)), fp);
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
}

struct ssh_host *ssh_host_new(const char *dir, char *err, size_t err_len)
{
	static bool initialised;
	if (!initialised) {
		initialised = true;
		ssh_init();
		ssh_set_log_callback(libssh_log);
		ssh_set_log_level(SSH_LOG_WARNING);
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "%s: cannot make the directory: %s", dir, strerror(errno));
		return NULL;
	}
	struct ssh_host *h = xcalloc(1, sizeof(*h));
	h->bind = ssh_bind_new();
	bool no = false;
	if (h->bind == NULL ||
	    ssh_bind_options_set(h->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) != SSH_OK ||
	    ssh_bind_options_set(h->bind, SSH_BIND_OPTIONS_BANNER, "Carrier") != SSH_OK ||
	    ssh_bind_options_set(h->bind, SSH_BIND_OPTIONS_KEY_EXCHANGE, kex) != SSH_OK) {
		snprintf(err, err_len, "%s: libssh: %s", dir,
		         h->bind ? ssh_get_error(h->bind) : "out of memory");
		goto fail;
	}
	for (size_t k = 0; k < SSH_HOST_KEYS; k++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir, key_kinds[k].file);
		ssh_key key = load_key(k, path, err, err_len);
		if (key == NULL)
			goto fail;
		fingerprint(key, h->fingerprints[k], sizeof(h->fingerprints[k]));
		/* The bind owns the key from here on. */
		if (ssh_bind_options_set(h->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
			ssh_key_free(key);
			snprintf(err, err_len, "%s: libssh: %s", path, ssh_get_error(h->bind));
			goto fail;
		}
	}
	return h;
fail:
	ssh_host_free(h);
	return NULL;
}

void ssh_host_free(struct ssh_host *h)
{
	if (h == NULL)
		return;
	if (h->bind != NULL)
		ssh_bind_free(h->bind);
	free(h);
}

const char *ssh_host_fingerprint(const struct ssh_host *h, size_t i)
{
	return i < SSH_HOST_KEYS ? h->fingerprints[i] : NULL;
}
