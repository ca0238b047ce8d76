#include "tlsclient.h"

SSL_CTX *tlsc_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	return ctx;
}

SSL *tlsc_new(SSL_CTX *ctx, BIO **rbio, BIO **wbio)
{
	SSL *ssl = SSL_new(ctx);
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
	if (ssl == NULL || r == NULL || w == NULL) {
		SSL_free(ssl);
		BIO_free(r);
		BIO_free(w);
		return NULL;
	}
	BIO_set_mem_eof_return(r, -1);      /* an empty rbio means "want more", not EOF */
	SSL_set_bio(ssl, r, w);
	SSL_set_connect_state(ssl);
	SSL_set_tlsext_host_name(ssl, "localhost");
	*rbio = r;
	*wbio = w;
	return ssl;
}

bool tlsc_drain(BIO *wbio, bool (*send)(void *ud, const void *bytes, size_t n), void *ud)
{
	char buf[16384 + 512];
	int n;
	while ((n = BIO_read(wbio, buf, sizeof(buf))) > 0)
		if (!send(ud, buf, (size_t)n))
			return false;
	return true;
}
