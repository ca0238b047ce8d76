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
 * (whose window closes no earlier), then sync.
 */
export async function sync(c, all, word) {
  const froms = all.map((x) => x.raw.length);
  c.say(word);
  await Promise.all(all.map((x, i) => x.waitText(froms[i], `: ${word}`)));
}

