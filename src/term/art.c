#include "term/art.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "term/cp437.h"
#include "util/log.h"
#include "util/sbuf.h"

#define SAUCE_LEN 128
#define COMNT_HDR 5
#define COMNT_LINE 64
#define SAUCE_COMMENTS 104    /* offset of the comment line count */

size_t art_strip_sauce(const uint8_t *data, size_t len)
{
	size_t end = len;
	if (len >= SAUCE_LEN && memcmp(data + len - SAUCE_LEN, "SAUCE00", 7) == 0) {
		end = len - SAUCE_LEN;
		size_t lines = data[end + SAUCE_COMMENTS];
		size_t com = COMNT_HDR + lines * COMNT_LINE;
		if (lines > 0 && end >= com && memcmp(data + end - com, "COMNT", 5) == 0)
			end -= com;
	}
	const uint8_t *eof = memchr(data, 0x1a, end);
	return eof != NULL ? (size_t)(eof - data) : end;
}

/* Read the whole file into sb, SAUCE stripped.  Returns 0 or -1 (logged). */
static int read_art(const char *path, struct sbuf *sb)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		log_error("event=art_error path=%s error=%s", LOG_Q(path), LOG_Q(strerror(errno)));
		return -1;
	}
	for (;;) {
		uint8_t *p = sbuf_reserve(sb, 4096);
		size_t n = fread(p, 1, 4096, f);
		sb->len += n;
		if (sb->len > ART_MAX_BYTES) {
			log_error("event=art_error path=%s error=too_large limit=%u", LOG_Q(path),
			          ART_MAX_BYTES);
			goto err;
		}
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		log_error("event=art_error path=%s error=read", LOG_Q(path));
		goto err;
	}
	fclose(f);
	sb->len = art_strip_sauce(sb->data, sb->len);
	if (sb->len == 0) {
		log_error("event=art_error path=%s error=empty", LOG_Q(path));
		return -1;
	}
	return 0;
err:
	fclose(f);
	return -1;
}

struct buf *art_load_cp437(const char *path)
{
	struct sbuf sb = SBUF_INIT;
	struct buf *b = NULL;
	if (read_art(path, &sb) == 0) {
		b = buf_from(sb.data, sb.len);
		if (b == NULL)
			log_error("event=art_error path=%s error=out_of_memory", LOG_Q(path));
	}
	sbuf_free(&sb);
	return b;
}

struct buf *art_load_utf8(const char *path)
{
	struct sbuf raw = SBUF_INIT, crlf = SBUF_INIT, out = SBUF_INIT;
	struct buf *b = NULL;
	if (read_art(path, &raw) < 0)
		goto done;
	for (size_t i = 0; i < raw.len; i++) {
		if (raw.data[i] == '\n' && (i == 0 || raw.data[i - 1] != '\r'))
			sbuf_putc(&crlf, '\r');
		sbuf_putc(&crlf, raw.data[i]);
	}
	cp437_to_utf8(&out, crlf.data, crlf.len);
	b = buf_from(out.data, out.len);
	if (b == NULL)
		log_error("event=art_error path=%s error=out_of_memory", LOG_Q(path));
done:
	sbuf_free(&raw);
	sbuf_free(&crlf);
	sbuf_free(&out);
	return b;
}
