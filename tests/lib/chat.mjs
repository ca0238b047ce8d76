// Helpers shared by the chat end-to-end tests: callers registered and walked into
// the room, and the ordering waits that say "everything before this has arrived".
// They take a WebSocket Caller and a TelnetCaller alike.
import { Caller, PASSWORD } from './caller.mjs';

/** The screen size of the chat tests' callers. */
export const SIZE = { cols: 100, rows: 60 };

/** A new WebSocket caller, registered as handle, at the main menu. */
export async function newCaller(srv, handle, size = SIZE) {
  const c = await Caller.connect(srv.wsUrl, size);
  await c.register(handle, PASSWORD);
  c.handle = handle;
  return c;
}

/** From the main menu into the room; returns once the prompt is drawn. */
export async function enterChat(c) {
  const from = c.raw.length;
  c.type('C');
  await c.waitText(from, '*** Welcome to Teleconference ***');
  await c.waitText(from, '> ');
}

/**
 * Say a line in c and wait until every one of `all` (in the room) has it.  The
 * room sends a line to everyone in the order said, so afterwards whatever the
 * server wrote to those connections before the line has arrived too: a test
 * asserts then that something it must not have sent is not there.
 *
 * Joins and leaves are not sent at once but at the end of their coalescing window
 * ([chat] coalesce_ms): wait for an announcement made after the one in question
 * (whose window closes no earlier), then sync; settle() below does both.
 */
export async function sync(c, all, word) {
  const froms = all.map((x) => x.raw.length);
  c.say(word);
  await Promise.all(all.map((x, i) => x.waitText(froms[i], `: ${word}`)));
}

/** The names in text's join (kind 'joined') or leave ('left') announcements, one
 * string a line: 'Alice', 'Jay, Kim, Lou and 2 others'. */
export function announced(text, kind) {
  const re = new RegExp(`\\*\\*\\* (.+?) ha(?:s|ve) ${kind} the chat \\*\\*\\*`, 'g');
  return [...text.matchAll(re)].map((m) => m[1]);
}

let newcomers = 0;
/** True for the names of a settle() newcomer's own announcement. */
export const isNewcomer = (names) => /^Newcomer\d+$/.test(names);

/**
 * Wait until every join and leave announcement under way has reached `all` (who
 * are in the room), and return for each the text received since froms[i] until
 * then.  Joins and leaves are not sent at once but together at the end of a
 * coalescing window ([chat] coalesce_ms), so a line said now could overtake them.
 * Instead a newcomer walks in: the window its arrival falls in closes no earlier
 * than any open now, and all of a window is written at once.  Once everyone has
 * heard of the newcomer, a line it says comes after all of that.  Then it leaves,
 * and that too is waited for, so nothing of it is left under way.
 */
export async function settle(srv, all, froms = all.map((c) => c.raw.length)) {
  const handle = `Newcomer${++newcomers}`;
  const n = await newCaller(srv, handle);
  try {
    await enterChat(n);
    await Promise.all(all.map((c, i) => c.waitText(froms[i], new RegExp(`${handle}[^*\n]* joined the chat`))));
    await sync(n, all, `${handle} has seen enough`);
    const texts = all.map((c, i) => c.plain(froms[i]));
    const at = all.map((c) => c.raw.length);
    await n.close();
    await Promise.all(all.map((c, i) => c.waitText(at[i], new RegExp(`${handle}[^*\n]* left the chat`))));
    return texts;
  } finally {
    n.terminate();
  }
}
