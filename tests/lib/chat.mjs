// Helpers shared by the chat end-to-end tests: callers registered and walked into
// the room, and waiting on what a connection received (as text, escapes removed).
import { Caller } from './caller.mjs';

/** Sanitizer builds run slower: scale every wait by this. */
export const SLOW = process.env.CARRIER_BUILD && /san/.test(process.env.CARRIER_BUILD) ? 3 : 1;
export const T = 5000 * SLOW;
export const PASSWORD = 'correct horse battery';
export const SIZE = { cols: 100, rows: 60 };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Bytes as text with every CSI sequence removed. */
export function plain(buf) {
  return buf.toString('utf8').replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '');
}

/** Wait until c's bytes after offset `from` contain needle (as text without CSI). */
export async function waitText(c, from, needle, timeout = T) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = plain(c.raw.subarray(from));
    if (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) return text;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${needle}; received since:\n${JSON.stringify(text.slice(-1500))}`);
    }
    await sleep(20);
  }
}

/** A new caller, registered as handle, at the main menu. */
export async function newCaller(srv, handle, size = SIZE) {
  const c = await Caller.connect(srv.wsUrl, size);
  await c.register(handle, PASSWORD);
  return c;
}

/** From the main menu into the room; returns once the prompt is drawn. */
export async function enterChat(c) {
  const from = c.raw.length;
  c.type('C');
  await waitText(c, from, '*** Welcome to Teleconference ***');
  await waitText(c, from, '> ');
}
