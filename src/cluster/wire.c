#include "cluster/wire.h"

#include <string.h>

#include "util/utf8.h"

#define MAGIC "carrier/1 "

static const char *const type_names[CLUSTER_MSG_TYPES] = {
	[CLUSTER_MSG_EVENT] = "event", [CLUSTER_MSG_BEAT] = "beat", [CLUSTER_MSG_UP] = "up",
	[CLUSTER_MSG_DOWN] = "down",   [CLUSTER_MSG_BYE] = "bye",   [CLUSTER_MSG_HANGUP] = "hangup",
	[CLUSTER_MSG_MUTE] = "mute",
};

static const char *const kind_names[CHAT_KIND_COUNT] = {
	[CHAT_PUBLIC] = "public", [CHAT_ACTION] = "action", [CHAT_JOIN] = "join",
	[CHAT_LEAVE] = "leave",   [CHAT_DM] = "dm",         [CHAT_PAGE] = "page",
	[CHAT_SYSOP] = "sysop",   [CHAT_SYSTEM] = "system", [CHAT_INVITE] = "invite",
	[CHAT_TOPIC] = "topic",   [CHAT_KICK] = "kick",     [CHAT_BROADCAST] = "broadcast",
};

static const char *const error_names[CLUSTER_WIRE_ERRORS] = {
	[CLUSTER_WIRE_OK] = "ok", [CLUSTER_WIRE_OVERSIZED] = "oversized",
	[CLUSTER_WIRE_MALFORMED] = "malformed", [CLUSTER_WIRE_UNKNOWN] = "unknown",
	[CLUSTER_WIRE_INVALID] = "invalid",
};

const char *cluster_wire_error_name(enum cluster_wire_error e)
{
	return (unsigned)e < CLUSTER_WIRE_ERRORS ? error_names[e] : "?";
}

const char *cluster_kind_name(enum chat_kind k)
{
	return (unsigned)k < CHAT_KIND_COUNT ? kind_names[k] : NULL;
}

/* The index of s in names[0..n) (entries may be NULL), or -1.  The first byte is
 * compared before the rest: the decoder looks up every key of every message here. */
static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && names[i][0] == s[0] && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* The keys a message may carry; a table, so the decoder is one loop. */
enum key {
	K_ORIGIN, K_KIND, K_ROOM, K_FROM, K_TO, K_TEXT, K_LEVEL, K_SEQ, K_TS, K_UNTIL,
	K_NAMES, K_MORE, K_EPOCH, K_CALLERS, K_LINE, K_HANDLE, K_WHERE, K_DOING, K_SINCE,
	K_DETAIL, K_COUNT
};
static const char *const key_names[K_COUNT] = {
	[K_ORIGIN] = "o", [K_KIND] = "k", [K_ROOM] = "r", [K_FROM] = "f", [K_TO] = "t",
	[K_TEXT] = "x", [K_LEVEL] = "l", [K_SEQ] = "s", [K_TS] = "ts", [K_UNTIL] = "u",
	[K_NAMES] = "n", [K_MORE] = "m", [K_EPOCH] = "e", [K_CALLERS] = "c", [K_LINE] = "i",
	[K_HANDLE] = "h", [K_WHERE] = "w", [K_DOING] = "d", [K_SINCE] = "a", [K_DETAIL] = "x2",
};

/* ---- what may pass ---- */

/* Valid UTF-8 of at most max bytes, no C0, DEL or C1 control, no NUL. */
static bool safe_text(const char *s, size_t max)
{
	uint32_t state = UTF8_ACCEPT, cp = 0;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++, n++) {
		if (n >= max)
			return false;
		if (state == UTF8_ACCEPT && *p >= 0x20 && *p < 0x7f)
			continue;       /* printable ASCII: no decoding needed */
		if (utf8_step(&state, &cp, *p) == UTF8_REJECT)
			return false;
		if (state == UTF8_ACCEPT && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
			return false;
	}
	return state == UTF8_ACCEPT;
}

/* A handle or an actor's name: non-empty safe text without ','. */
static bool name_ok(const char *s, size_t max)
{
	return s[0] != '\0' && strchr(s, ',') == NULL && safe_text(s, max - 1);
}

bool cluster_node_name_ok(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '.' || c == '_' || c == '-' || c == ':';
		if (!ok || n + 1 >= CLUSTER_NODE_MAX)
			return false;
	}
	return n > 0;
}

/* A room's name: letters, digits, '-', '_' (as chat_room_name_ok, longer for the
 * names declared in carrier.toml). */
static bool room_ok(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '-' || c == '_';
		if (!ok || n + 1 >= CLUSTER_ROOM_MAX)
			return false;
	}
	return n > 0;
}

/* Decimal digits only, at most max. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* ---- decoding ---- */

static bool room_kind(enum chat_kind k)
{
	return k != CHAT_DM && k != CHAT_PAGE && k != CHAT_BROADCAST;
}

#define NUM_MAX ((uint64_t)INT64_MAX)

static enum cluster_wire_error decode_event(struct cluster_msg *m, char *v[K_COUNT])
{
	struct chat_event *ev = &m->ev;
	uint64_t n;
	if (v[K_KIND] == NULL)
		return CLUSTER_WIRE_INVALID;
	int kind = name_index(kind_names, CHAT_KIND_COUNT, v[K_KIND]);
	if (kind < 0)
		return CLUSTER_WIRE_UNKNOWN;
	*ev = (struct chat_event){ .kind = (enum chat_kind)kind, .origin = m->origin };
	if (room_kind(ev->kind)) {
		if (v[K_ROOM] == NULL || !room_ok(v[K_ROOM]))
			return CLUSTER_WIRE_INVALID;
		ev->room = v[K_ROOM];
	} else if (v[K_ROOM] != NULL) {
		return CLUSTER_WIRE_INVALID;
	}
	if (v[K_FROM] != NULL) {
		if (!name_ok(v[K_FROM], CLUSTER_ROOM_MAX))
			return CLUSTER_WIRE_INVALID;
		ev->from = v[K_FROM];
	}
	if (v[K_TO] != NULL) {
		if (!name_ok(v[K_TO], CLUSTER_ROOM_MAX))
			return CLUSTER_WIRE_INVALID;
		ev->to = v[K_TO];
	}
	if (v[K_TEXT] != NULL) {
		if (!safe_text(v[K_TEXT], CLUSTER_TEXT_MAX))
			return CLUSTER_WIRE_INVALID;
		ev->text = v[K_TEXT];
	}
	bool two_ends = ev->kind == CHAT_DM || ev->kind == CHAT_PAGE || ev->kind == CHAT_INVITE;
	if (two_ends && (ev->from == NULL || ev->to == NULL))
		return CLUSTER_WIRE_INVALID;
	if ((ev->kind == CHAT_KICK && ev->to == NULL) ||
	    ((ev->kind == CHAT_PUBLIC || ev->kind == CHAT_ACTION || ev->kind == CHAT_SYSOP ||
	      ev->kind == CHAT_BROADCAST || ev->kind == CHAT_TOPIC || ev->kind == CHAT_KICK) &&
	     ev->from == NULL))
		return CLUSTER_WIRE_INVALID;
	if (v[K_LEVEL] != NULL) {
		if (!parse_u64(v[K_LEVEL], 255, &n))
			return CLUSTER_WIRE_INVALID;
		ev->from_level = (unsigned)n;
	}
	if (v[K_SEQ] != NULL) {
		if (!parse_u64(v[K_SEQ], NUM_MAX, &n))
			return CLUSTER_WIRE_INVALID;
		ev->seq = n;
	}
	if (v[K_TS] != NULL) {
		if (!parse_u64(v[K_TS], NUM_MAX, &n))
			return CLUSTER_WIRE_INVALID;
		ev->ts_ms = (int64_t)n;
	}
	if (v[K_UNTIL] != NULL) {
		if (!parse_u64(v[K_UNTIL], NUM_MAX, &n))
			return CLUSTER_WIRE_INVALID;
		ev->until_ms = (int64_t)n;
	}
	bool presence = ev->kind == CHAT_JOIN || ev->kind == CHAT_LEAVE;
	if (v[K_MORE] != NULL) {
		if (!presence || !parse_u64(v[K_MORE], 1000000, &n))
			return CLUSTER_WIRE_INVALID;
		ev->n_more = (size_t)n;
	}
	if (v[K_NAMES] != NULL) {
		/* "Alice,Bob,Carol": split where it lies (the message's own copy). */
		if (!presence || v[K_NAMES][0] == '\0')
			return CLUSTER_WIRE_INVALID;
		size_t count = 0;
		for (char *p = v[K_NAMES];;) {
			char *comma = strchr(p, ',');
			if (comma != NULL)
				*comma = '\0';
			if (count == CLUSTER_NAMES_MAX || !name_ok(p, CLUSTER_ROOM_MAX))
				return CLUSTER_WIRE_INVALID;
			m->names[count++] = p;
			if (comma == NULL)
				break;
			p = comma + 1;
		}
		ev->names = m->names;
		ev->n_names = count;
	}
	if (presence && ev->from == NULL && ev->n_names + ev->n_more == 0)
		return CLUSTER_WIRE_INVALID;
	if (ev->kind == CHAT_SYSTEM && ev->text == NULL)
		return CLUSTER_WIRE_INVALID;
	return CLUSTER_WIRE_OK;
}

static enum cluster_wire_error decode_up(struct cluster_msg *m, char *v[K_COUNT])
{
	struct cluster_line *l = &m->line;
	uint64_t n;
	if (v[K_LINE] == NULL || !parse_u64(v[K_LINE], 1000000, &n) || n == 0)
		return CLUSTER_WIRE_INVALID;
	l->line = (unsigned)n;
	if (m->type == CLUSTER_MSG_DOWN)
		return CLUSTER_WIRE_OK;
	struct { enum key k; char *dst; size_t cap; } texts[] = {
		{ K_HANDLE, l->handle, sizeof(l->handle) },
		{ K_WHERE, l->location, sizeof(l->location) },
		{ K_DOING, l->doing, sizeof(l->doing) },
		{ K_DETAIL, l->detail, sizeof(l->detail) },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *s = v[texts[i].k];
		if (s == NULL)
			continue;
		if (!safe_text(s, texts[i].cap - 1))
			return CLUSTER_WIRE_INVALID;
		strcpy(texts[i].dst, s);
	}
	if (l->handle[0] != '\0' && strchr(l->handle, ',') != NULL)
		return CLUSTER_WIRE_INVALID;
	if (v[K_ROOM] != NULL) {
		if (v[K_ROOM][0] != '\0' && !room_ok(v[K_ROOM]))
			return CLUSTER_WIRE_INVALID;
		strcpy(l->room, v[K_ROOM]);
	}
	if (v[K_SINCE] != NULL) {
		if (!parse_u64(v[K_SINCE], NUM_MAX, &n))
			return CLUSTER_WIRE_INVALID;
		l->since = (int64_t)n;
	}
	if (v[K_LEVEL] != NULL) {
		if (!parse_u64(v[K_LEVEL], 255, &n))
			return CLUSTER_WIRE_INVALID;
		l->level = (unsigned)n;
	}
	return CLUSTER_WIRE_OK;
}

enum cluster_wire_error cluster_wire_decode(const uint8_t *data, size_t len,
                                            struct cluster_msg *out)
{
	char *v[K_COUNT] = { 0 };
	memset(out, 0, offsetof(struct cluster_msg, store));
	if (len > CLUSTER_MSG_MAX)
		return CLUSTER_WIRE_OVERSIZED;
	if (len < sizeof(MAGIC) - 1 || memcmp(data, MAGIC, sizeof(MAGIC) - 1) != 0 ||
	    memchr(data, '\0', len) != NULL)
		return CLUSTER_WIRE_MALFORMED;
	char *s = out->store;
	memcpy(s, data, len);
	s[len] = '\0';
	/* The first line: the magic and the type. */
	char *line = s + sizeof(MAGIC) - 1;
	char *nl = strchr(line, '\n');
	if (nl != NULL)
		*nl = '\0';
	int type = name_index(type_names, CLUSTER_MSG_TYPES, line);
	if (type < 0)
		return CLUSTER_WIRE_UNKNOWN;
	out->type = (enum cluster_msg_type)type;
	/* KEY=VALUE lines; a last empty line (a trailing newline) is allowed. */
	while (nl != NULL) {
		line = nl + 1;
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '\0' && nl == NULL)
			break;
		char *eq = strchr(line, '=');
		if (eq == NULL || eq == line)
			return CLUSTER_WIRE_MALFORMED;
		*eq = '\0';
		int k = name_index(key_names, K_COUNT, line);
		if (k < 0)
			continue;            /* a key of a later version: ignored */
		if (v[k] != NULL)
			return CLUSTER_WIRE_MALFORMED;
		v[k] = eq + 1;
	}
	if (v[K_ORIGIN] == NULL || !cluster_node_name_ok(v[K_ORIGIN]))
		return CLUSTER_WIRE_INVALID;
	out->origin = v[K_ORIGIN];
	uint64_t n;
	switch (out->type) {
	case CLUSTER_MSG_EVENT:
		return decode_event(out, v);
	case CLUSTER_MSG_BEAT:
		if (v[K_EPOCH] == NULL || !parse_u64(v[K_EPOCH], NUM_MAX, &n))
			return CLUSTER_WIRE_INVALID;
		out->epoch = (int64_t)n;
		if (v[K_CALLERS] != NULL) {
			if (!parse_u64(v[K_CALLERS], 1000000, &n))
				return CLUSTER_WIRE_INVALID;
			out->callers = (unsigned)n;
		}
		return CLUSTER_WIRE_OK;
	case CLUSTER_MSG_UP:
	case CLUSTER_MSG_DOWN:
		return decode_up(out, v);
	case CLUSTER_MSG_BYE:
		return CLUSTER_WIRE_OK;
	case CLUSTER_MSG_HANGUP:
		if (v[K_HANDLE] == NULL || !name_ok(v[K_HANDLE], CLUSTER_HANDLE_MAX) ||
		    (v[K_TEXT] != NULL && !safe_text(v[K_TEXT], CLUSTER_FIELD_MAX * 4)))
			return CLUSTER_WIRE_INVALID;
		out->handle = v[K_HANDLE];
		out->reason = v[K_TEXT] ? v[K_TEXT] : "";
		return CLUSTER_WIRE_OK;
	case CLUSTER_MSG_MUTE:
		if (v[K_HANDLE] == NULL || !name_ok(v[K_HANDLE], CLUSTER_HANDLE_MAX) ||
		    v[K_UNTIL] == NULL || !parse_u64(v[K_UNTIL], NUM_MAX, &n) ||
		    (v[K_ROOM] != NULL && !room_ok(v[K_ROOM])) ||
		    (v[K_TEXT] != NULL && !safe_text(v[K_TEXT], CLUSTER_FIELD_MAX * 4)))
			return CLUSTER_WIRE_INVALID;
		out->handle = v[K_HANDLE];
		out->until_ms = (int64_t)n;
		out->room = v[K_ROOM];
		out->reason = v[K_TEXT] ? v[K_TEXT] : "";
		return CLUSTER_WIRE_OK;
	default:
		return CLUSTER_WIRE_UNKNOWN;
	}
}

/* ---- encoding ---- */

static void head(struct sbuf *sb, enum cluster_msg_type t, const char *origin)
{
	sbuf_reset(sb);
	sbuf_puts(sb, MAGIC);
	sbuf_puts(sb, type_names[t]);
	sbuf_puts(sb, "\no=");
	sbuf_puts(sb, origin);
}

static void field(struct sbuf *sb, enum key k, const char *value)
{
	sbuf_putc(sb, '\n');
	sbuf_puts(sb, key_names[k]);
	sbuf_putc(sb, '=');
	sbuf_puts(sb, value);
}

static void field_num(struct sbuf *sb, enum key k, uint64_t value)
{
	sbuf_putc(sb, '\n');
	sbuf_puts(sb, key_names[k]);
	sbuf_putc(sb, '=');
	sbuf_put_u64(sb, value);
}

static bool fits(const struct sbuf *sb)
{
	return sb->len <= CLUSTER_MSG_MAX;
}

bool cluster_wire_event(struct sbuf *sb, const char *origin, const struct chat_event *ev)
{
	const char *kind = cluster_kind_name(ev->kind);
	if (kind == NULL || !cluster_node_name_ok(origin))
		return false;
	if ((ev->from != NULL && !name_ok(ev->from, CLUSTER_ROOM_MAX)) ||
	    (ev->to != NULL && !name_ok(ev->to, CLUSTER_ROOM_MAX)) ||
	    (ev->text != NULL && !safe_text(ev->text, CLUSTER_TEXT_MAX)) ||
	    (room_kind(ev->kind) && (ev->room == NULL || !room_ok(ev->room))))
		return false;
	head(sb, CLUSTER_MSG_EVENT, origin);
	field(sb, K_KIND, kind);
	if (room_kind(ev->kind))
		field(sb, K_ROOM, ev->room);
	if (ev->from != NULL)
		field(sb, K_FROM, ev->from);
	if (ev->to != NULL)
		field(sb, K_TO, ev->to);
	if (ev->text != NULL)
		field(sb, K_TEXT, ev->text);
	if (ev->from_level != 0)
		field_num(sb, K_LEVEL, ev->from_level > 255 ? 255 : ev->from_level);
	if (ev->seq != 0)
		field_num(sb, K_SEQ, ev->seq);
	if (ev->ts_ms > 0)
		field_num(sb, K_TS, (uint64_t)ev->ts_ms);
	if (ev->until_ms > 0)
		field_num(sb, K_UNTIL, (uint64_t)ev->until_ms);
	if (ev->names != NULL && ev->n_names > 0) {
		if (ev->n_names > CLUSTER_NAMES_MAX)
			return false;
		sbuf_puts(sb, "\nn=");
		for (size_t i = 0; i < ev->n_names; i++) {
			if (!name_ok(ev->names[i], CLUSTER_ROOM_MAX))
				return false;
			if (i > 0)
				sbuf_putc(sb, ',');
			sbuf_puts(sb, ev->names[i]);
		}
	}
	if (ev->n_more > 0)
		field_num(sb, K_MORE, ev->n_more > 1000000 ? 1000000 : ev->n_more);
	return fits(sb);
}

bool cluster_wire_beat(struct sbuf *sb, const char *origin, int64_t epoch, unsigned callers)
{
	if (!cluster_node_name_ok(origin) || epoch < 0)
		return false;
	head(sb, CLUSTER_MSG_BEAT, origin);
	field_num(sb, K_EPOCH, (uint64_t)epoch);
	field_num(sb, K_CALLERS, callers > 1000000 ? 1000000 : callers);
	return true;
}

bool cluster_wire_up(struct sbuf *sb, const char *origin, const struct cluster_line *l)
{
	if (!cluster_node_name_ok(origin) || l->line == 0 || l->line > 1000000 ||
	    !safe_text(l->handle, sizeof(l->handle) - 1) || strchr(l->handle, ',') != NULL ||
	    !safe_text(l->location, sizeof(l->location) - 1) ||
	    !safe_text(l->doing, sizeof(l->doing) - 1) ||
	    !safe_text(l->detail, sizeof(l->detail) - 1) ||
	    (l->room[0] != '\0' && !room_ok(l->room)))
		return false;
	head(sb, CLUSTER_MSG_UP, origin);
	field_num(sb, K_LINE, l->line);
	field(sb, K_HANDLE, l->handle);
	field(sb, K_WHERE, l->location);
	field(sb, K_DOING, l->doing);
	field(sb, K_ROOM, l->room);
	field_num(sb, K_SINCE, l->since > 0 ? (uint64_t)l->since : 0);
	field_num(sb, K_LEVEL, l->level > 255 ? 255 : l->level);
	field(sb, K_DETAIL, l->detail);
	return fits(sb);
}

bool cluster_wire_down(struct sbuf *sb, const char *origin, unsigned line)
{
	if (!cluster_node_name_ok(origin) || line == 0 || line > 1000000)
		return false;
	head(sb, CLUSTER_MSG_DOWN, origin);
	field_num(sb, K_LINE, line);
	return true;
}

bool cluster_wire_bye(struct sbuf *sb, const char *origin)
{
	if (!cluster_node_name_ok(origin))
		return false;
	head(sb, CLUSTER_MSG_BYE, origin);
	return true;
}

bool cluster_wire_hangup(struct sbuf *sb, const char *origin, const char *handle,
                         const char *reason)
{
	if (!cluster_node_name_ok(origin) || !name_ok(handle, CLUSTER_HANDLE_MAX) ||
	    !safe_text(reason, CLUSTER_FIELD_MAX * 4))
		return false;
	head(sb, CLUSTER_MSG_HANGUP, origin);
	field(sb, K_HANDLE, handle);
	field(sb, K_TEXT, reason);
	return fits(sb);
}

bool cluster_wire_mute(struct sbuf *sb, const char *origin, const char *handle, const char *room,
                       int64_t until_ms, const char *text)
{
	if (!cluster_node_name_ok(origin) || !name_ok(handle, CLUSTER_HANDLE_MAX) || until_ms < 0 ||
	    (room != NULL && !room_ok(room)) || !safe_text(text, CLUSTER_FIELD_MAX * 4))
		return false;
	head(sb, CLUSTER_MSG_MUTE, origin);
	field(sb, K_HANDLE, handle);
	if (room != NULL)
		field(sb, K_ROOM, room);
	field_num(sb, K_UNTIL, (uint64_t)until_ms);
	if (text[0] != '\0')
		field(sb, K_TEXT, text);
	return fits(sb);
}
