/* Test certificates made on the spot with OpenSSL: a P-256 key and a self-signed
 * certificate for "localhost", valid from `from` to `to` seconds from now, written
 * as PEM files.  For the TLS unit test and the TLS fuzzer (header-only: each
 * includes it once). */
#ifndef CARRIER_TESTS_TLSCERT_H
#define CARRIER_TESTS_TLSCERT_H

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static inline EVP_PKEY *tlscert_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (k == NULL)
		abort();
	return k;
}

static inline X509 *tlscert_self_signed(EVP_PKEY *key, long from, long to)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0)
		abort();
	return x;
}

static inline void tlscert_write(const char *cert_path, const char *key_path, EVP_PKEY *key, X509 *x)
{
	FILE *f = fopen(cert_path, "w");
	if (f == NULL || PEM_write_X509(f, x) != 1)
		abort();
	fclose(f);
	if (key_path != NULL) {
		f = fopen(key_path, "w");
		if (f == NULL || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
			abort();
		fclose(f);
	}
}

/* cert_path and key_path: a fresh key and a certificate valid from an hour ago
 * for a day. */
static inline void tlscert_make(const char *cert_path, const char *key_path)
{
	EVP_PKEY *k = tlscert_key();
	X509 *x = tlscert_self_signed(k, -3600, 86400);
	tlscert_write(cert_path, key_path, k, x);
	X509_free(x);
	EVP_PKEY_free(k);
}

#endif
