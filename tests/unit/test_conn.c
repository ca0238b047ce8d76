/* Connections over real loopback sockets: the output queue's policy (shared output
 * dropped and counted past the high water mark, reported once drained under the low
 * mark; own output past the hard limit closes), close semantics, buffer sharing,
 * and a layer below the transport (a toy cipher standing in for TLS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "net/conn.h"
#include "util/buf.h"

struct fixture {
	uv_loop_t loop;
	uv_tcp_t listener;
	struct conn_set set;
	struct conn *conn;          /* the accepted server side */
	int client;                 /* the peer's socket, non-blocking */
	int closes, destroys, drains;
	uint64_t drained;
	size_t received;
	uint8_t got[65536];         /* the first bytes the client read */
	/* the transport's input, and the layer's doings */
	uint8_t input[256];
	size_t ninput;
	size_t layer_budget;        /* bytes the layer may take before it stalls */
	int finishes, layer_destroys;
	bool busy;
};

static struct fixture *current;

static void t_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	(void)c;
	for (size_t i = 0; i < len && current->ninput < sizeof(current->input); i++)
		current->input[current->ninput++] = data[i];
}

static struct buf *t_frame(const uint8_t *term, size_t len)
{
	return buf_from(term, len);
}

static void t_destroy(struct conn *c)
{
	(void)c;
	current->destroys++;
}

static const struct transport test_transport = {
	.name = "test",
	.on_read = t_on_read,
	.frame = t_frame,
	.destroy = t_destroy,
	.variant = CONN_VARIANT_WS,
};

static void h_on_drain(struct conn *c, uint64_t dropped)
{
	(void)c;
	current->drains++;
	current->drained += dropped;
}

static void h_on_close(struct conn *c)
{
	(void)c;
	current->closes++;
	current->conn = NULL;
}

static const struct conn_handler test_handler = {
	.on_drain = h_on_drain,
	.on_close = h_on_close,
};

static void on_connection(uv_stream_t *l, int status)
{
	assert_int_equal(status, 0);
	current->conn = conn_accept(&current->set, l, &test_transport);
	assert_non_null(current->conn);
	conn_set_handler(current->conn, &test_handler, NULL);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	current = f;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	struct conn_limits limits = {
		.high_water = 64 * 1024,
		.low_water = 16 * 1024,
		.hard_limit = 1024 * 1024,
		.drain_timeout_ms = 1000,
	};
	conn_set_init(&f->set, NULL, &limits);

	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(&f->loop, &f->listener);
	assert_int_equal(uv_tcp_bind(&f->listener, (struct sockaddr *)&addr, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 8, on_connection), 0);
	int len = sizeof(addr);
	uv_tcp_getsockname(&f->listener, (struct sockaddr *)&addr, &len);

	f->client = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;   /* a small window so the server side fills up quickly */
	setsockopt(f->client, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(connect(f->client, (struct sockaddr *)&addr, sizeof(addr)), 0);
	fcntl(f->client, F_SETFL, O_NONBLOCK);
	while (f->conn == NULL)
		uv_run(&f->loop, UV_RUN_ONCE);
	*state = f;
	return 0;
}

static void run_a_little(struct fixture *f)
{
	for (int i = 0; i < 5; i++) {
		conn_flush_pending(&f->set);
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
}

/* Read what the client can; returns the byte count (0 at EOF or nothing pending). */
static ssize_t client_read(struct fixture *f, bool *eof)
{
	char buf[65536];
	ssize_t total = 0, n;
	while ((n = read(f->client, buf, sizeof(buf))) > 0) {
		size_t at = f->received + (size_t)total;
		if (at < sizeof(f->got))
			memcpy(f->got + at, buf, (size_t)n < sizeof(f->got) - at ? (size_t)n : sizeof(f->got) - at);
		total += n;
	}
	if (n == 0 && eof)
		*eof = true;
	f->received += (size_t)total;
	return total;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->conn)
		conn_close(f->conn);
	close(f->client);
	uv_close((uv_handle_t *)&f->listener, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->set.count, 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

static void test_shared_output_dropped_counted_and_reported(void **state)
{
	struct fixture *f = *state;
	uint8_t payload[8192];
	memset(payload, 'x', sizeof(payload));
	struct buf *b = buf_from(payload, sizeof(payload));

	/* The peer reads nothing: queue until the high water mark turns us away. */
	int queued = 0, dropped = 0;
	for (int i = 0; i < 2000 && dropped == 0; i++) {
		if (conn_send_shared(f->conn, b))
			queued++;
		else
			dropped++;
		run_a_little(f);
	}
	assert_int_equal(dropped, 1);
	assert_true(conn_queued_bytes(f->conn) <= 64 * 1024);
	/* Once over the mark, everything shared is dropped, even small things. */
	struct buf *tiny = buf_from("y", 1);
	for (int i = 0; i < 99; i++) {
		assert_false(conn_send_shared(f->conn, tiny));
		dropped++;
	}
	assert_int_equal(f->drains, 0);
	/* The shared buffer is referenced by the queue, never copied. */
	assert_true(b->refs > 1);

	/* The peer catches up: the drain reports exactly what was dropped, once. */
	for (int i = 0; i < 1000 && f->drains == 0; i++) {
		client_read(f, NULL);
		run_a_little(f);
	}
	assert_int_equal(f->drains, 1);
	assert_int_equal(f->drained, (uint64_t)dropped);
	/* And shared output flows again. */
	assert_true(conn_send_shared(f->conn, tiny));
	for (int i = 0; i < 100 && f->received < (size_t)queued * sizeof(payload) + 1; i++) {
		run_a_little(f);
		client_read(f, NULL);
	}
	assert_int_equal(f->received, (size_t)queued * sizeof(payload) + 1);
	assert_int_equal(b->refs, 1);
	buf_unref(b);
	buf_unref(tiny);
}

static void test_own_output_past_hard_limit_closes(void **state)
{
	struct fixture *f = *state;
	uint8_t payload[65536];
	memset(payload, 'z', sizeof(payload));
	struct buf *b = buf_from(payload, sizeof(payload));
	for (int i = 0; i < 64 && f->conn != NULL; i++) {
		conn_send(f->conn, b);
		run_a_little(f);
	}
	assert_null(f->conn);
	assert_int_equal(f->closes, 1);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->destroys, 1);
	assert_int_equal(b->refs, 1);   /* the freed queue let go of it */
	buf_unref(b);
}

static void test_second_close_is_harmless(void **state)
{
	struct fixture *f = *state;
	struct conn *c = f->conn;
	conn_close(c);
	conn_close(c);            /* still allocated until the loop reaps it */
	conn_shutdown(c, 1000, NULL);
	conn_close_after_flush(c);
	assert_int_equal(f->closes, 1);
	assert_int_equal(f->destroys, 0);   /* never freed inside the call */
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->destroys, 1);
}

static void test_close_after_flush_delivers_everything(void **state)
{
	struct fixture *f = *state;
	uint8_t payload[50000];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	conn_write_term(f->conn, payload, sizeof(payload));
	conn_close_after_flush(f->conn);
	assert_int_equal(f->closes, 1);
	bool eof = false;
	for (int i = 0; i < 1000 && !eof; i++) {
		run_a_little(f);
		client_read(f, &eof);
	}
	assert_true(eof);
	assert_int_equal(f->received, sizeof(payload));
	assert_int_equal(f->destroys, 1);
}

static void test_frame_once_per_variant(void **state)
{
	struct fixture *f = *state;
	struct buf *cache[CONN_VARIANT_COUNT] = { 0 };
	struct buf *a = conn_frame_cached(f->conn, cache, (const uint8_t *)"hi", 2);
	struct buf *b = conn_frame_cached(f->conn, cache, (const uint8_t *)"hi", 2);
	assert_ptr_equal(a, b);
	assert_int_equal(a->refs, 1);
	assert_true(conn_send_shared(f->conn, a));
	assert_int_equal(a->refs, 2);
	for (size_t i = 0; i < CONN_VARIANT_COUNT; i++)
		buf_unref(cache[i]);
	for (int i = 0; i < 100 && f->received < 2; i++) {
		run_a_little(f);
		client_read(f, NULL);
	}
	assert_int_equal(f->received, 2);
}

/* The pace: own output and a first line go at once; shared output queued within
 * hold_ns of the last shared flush waits for the end of that window. */
static void test_pace_due(void **state)
{
	(void)state;
	struct conn_pace p = { .hold_ns = 1000000 };
	assert_int_equal(conn_pace_due(&p, 5000000), 0);           /* nothing shared */
	p.shared_pending = true;
	assert_int_equal(conn_pace_due(&p, 5000000), 0);           /* the first line ever */
	p.last_shared_ns = 5000000;
	assert_int_equal(conn_pace_due(&p, 5000100), 6000000);     /* within the window */
	assert_int_equal(conn_pace_due(&p, 5999999), 6000000);
	assert_int_equal(conn_pace_due(&p, 6000000), 0);           /* the window is over */
	assert_int_equal(conn_pace_due(&p, 9000000), 0);           /* a quiet room: at once */
	p.shared_pending = false;
	assert_int_equal(conn_pace_due(&p, 5000100), 0);           /* only own output */
	p.shared_pending = true;
	p.hold_ns = 0;
	assert_int_equal(conn_pace_due(&p, 5000100), 0);           /* pacing off */
}

/* Lines queued while a flush is held go out together, in one write. */
static void test_paced_flush_gathers_lines(void **state)
{
	struct fixture *f = *state;
	f->set.pace.hold_ns = 50 * 1000000ull;
	struct buf *b = buf_from("line\r\n", 6);
	assert_true(conn_send_shared(f->conn, b));
	uint64_t t0 = uv_hrtime();
	assert_int_equal(conn_flush_paced(&f->set, t0), 0);        /* the first goes at once */
	assert_true(conn_send_shared(f->conn, b));
	assert_true(conn_send_shared(f->conn, b));
	uint64_t t1 = uv_hrtime();
	uint64_t at = conn_flush_paced(&f->set, t1);               /* held: the window runs */
	assert_true(at >= t0 + 50 * 1000000ull && at <= t1 + 50 * 1000000ull); /* from the flush's end */
	assert_int_equal(conn_queued_bytes(f->conn), 12);
	assert_int_equal(conn_flush_paced(&f->set, at), 0);        /* both, now */
	assert_int_equal(conn_queued_bytes(f->conn), 0);
	buf_unref(b);
	for (int i = 0; i < 100 && f->received < 18; i++) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		client_read(f, NULL);
	}
	assert_int_equal(f->received, 18);
}

static void test_peer_reset_closes_once(void **state)
{
	struct fixture *f = *state;
	struct linger lg = { 1, 0 };   /* RST on close */
	setsockopt(f->client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(f->client);
	f->client = socket(AF_INET, SOCK_STREAM, 0);   /* teardown closes something */
	for (int i = 0; i < 100 && f->closes == 0; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->closes, 1);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->destroys, 1);
}

/* ---- a layer below the transport ---- */

/* A toy cipher: every byte XOR 0x20 each way, and a one-byte record header ('R')
 * in front of each write, so the test sees where the layer cut the stream. */
static void l_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	uint8_t plain[64];
	size_t n = len < sizeof(plain) ? len : sizeof(plain);
	for (size_t i = 0; i < n; i++)
		plain[i] = data[i] ^ 0x20;
	conn_receive(c, plain, n);
}

static size_t l_write(struct conn *c, const uv_buf_t *iov, unsigned n)
{
	size_t total = 0;
	for (unsigned i = 0; i < n; i++)
		total += iov[i].len;
	if (total > current->layer_budget)
		total = current->layer_budget;
	if (total == 0)
		return 0;
	current->layer_budget -= total;
	struct buf *b = buf_new(total + 1);
	b->data[0] = 'R';
	size_t o = 1;
	for (unsigned i = 0; i < n && o < total + 1; i++)
		for (size_t j = 0; j < iov[i].len && o < total + 1; j++)
			b->data[o++] = (uint8_t)iov[i].base[j] ^ 0x20;
	conn_send_wire(c, b);
	buf_unref(b);
	return total;
}

static void l_finish(struct conn *c)
{
	current->finishes++;
	struct buf *b = buf_from("BYE", 3);
	conn_send_wire(c, b);
	buf_unref(b);
}

static bool l_busy(const struct conn *c)
{
	(void)c;
	return current->busy;
}

static void l_destroy(struct conn *c)
{
	(void)c;
	current->layer_destroys++;
}

static const struct conn_layer toy_layer = {
	.name = "toy",
	.on_read = l_on_read,
	.write = l_write,
	.finish = l_finish,
	.busy = l_busy,
	.destroy = l_destroy,
};

static void read_until(struct fixture *f, size_t want)
{
	for (int i = 0; i < 1000 && f->received < want; i++) {
		run_a_little(f);
		client_read(f, NULL);
	}
}

/* What the socket reads goes through the layer to the transport; what the
 * transport queues goes through the layer to the socket, each flush one record. */
static void test_layer_both_ways(void **state)
{
	struct fixture *f = *state;
	f->layer_budget = SIZE_MAX;
	conn_set_layer(f->conn, &toy_layer, NULL);
	assert_int_equal(write(f->client, "HI\x01", 3), 3);
	for (int i = 0; i < 1000 && f->ninput < 3; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_memory_equal(f->input, "hi!", 3);

	struct buf *b = buf_from("abc", 3);
	assert_true(conn_send_shared(f->conn, b));
	conn_write_term(f->conn, "de", 2);
	assert_int_equal(conn_queued_bytes(f->conn), 5);   /* counted as on a bare socket */
	read_until(f, 6);
	assert_int_equal(f->received, 6);
	assert_memory_equal(f->got, "RABCDE", 6);          /* one record for the flush */
	assert_int_equal(b->refs, 1);                      /* the queue let go of it */
	buf_unref(b);
}

/* A layer that takes nothing holds the output back (still counted against the
 * water marks) until it says it is ready again. */
static void test_layer_stalls_and_resumes(void **state)
{
	struct fixture *f = *state;
	f->layer_budget = 2;
	conn_set_layer(f->conn, &toy_layer, NULL);
	conn_write_term(f->conn, "hello", 5);
	read_until(f, 3);
	assert_int_equal(f->received, 3);
	assert_memory_equal(f->got, "RHE", 3);
	assert_int_equal(conn_queued_bytes(f->conn), 3);
	run_a_little(f);
	client_read(f, NULL);
	assert_int_equal(f->received, 3);                  /* nothing more: it stalled */
	f->layer_budget = 100;
	conn_layer_ready(f->conn);
	read_until(f, 7);
	assert_memory_equal(f->got + 3, "RLLO", 4);
	assert_int_equal(conn_queued_bytes(f->conn), 0);
}

/* A polite close: everything queued, then the layer's last word once, then the
 * close; a busy layer holds the close until it is ready. */
static void test_layer_finish_then_close(void **state)
{
	struct fixture *f = *state;
	f->layer_budget = SIZE_MAX;
	f->busy = true;
	struct conn *c = f->conn;    /* on_close forgets f->conn */
	conn_set_layer(c, &toy_layer, NULL);
	conn_write_term(c, "bye", 3);
	conn_close_after_flush(c);
	assert_int_equal(f->closes, 1);
	read_until(f, 7);
	assert_memory_equal(f->got, "RBYEBYE", 7);
	assert_int_equal(f->finishes, 1);
	run_a_little(f);
	assert_int_equal(f->destroys, 0);                  /* busy: not closed yet */
	f->busy = false;
	conn_layer_ready(c);
	bool eof = false;
	for (int i = 0; i < 1000 && !eof; i++) {
		run_a_little(f);
		client_read(f, &eof);
	}
	assert_true(eof);
	assert_int_equal(f->finishes, 1);
	assert_int_equal(f->destroys, 1);
	assert_int_equal(f->layer_destroys, 1);
}

/* A layer whose output nobody reads is held to the hard limit too. */
static void test_layer_wire_past_hard_limit_closes(void **state)
{
	struct fixture *f = *state;
	conn_set_layer(f->conn, &toy_layer, NULL);
	uint8_t payload[65536];
	memset(payload, 'w', sizeof(payload));
	struct buf *b = buf_from(payload, sizeof(payload));
	for (int i = 0; i < 64 && f->conn != NULL; i++) {
		conn_send_wire(f->conn, b);
		run_a_little(f);
	}
	assert_null(f->conn);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->layer_destroys, 1);
	assert_int_equal(b->refs, 1);
	buf_unref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_output_dropped_counted_and_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_output_past_hard_limit_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_close_is_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_after_flush_delivers_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_once_per_variant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_reset_closes_once, setup, teardown),
		cmocka_unit_test(test_pace_due),
		cmocka_unit_test_setup_teardown(test_paced_flush_gathers_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_stalls_and_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_finish_then_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layer_wire_past_hard_limit_closes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
