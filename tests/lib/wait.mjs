// Time in the end-to-end tests.  A test waits for what it can see (a screen, bytes,
// a close, a line of the server's log), never for a fixed time: everything here
// that waits is woken by what arrives, and gives up only after a generous timeout.
//
//   SLOW      how much slower this build is (3 under the sanitizers, else 1)
//   T         the default timeout of every wait, 5 s * SLOW
//   Waitable  a base class: until(fn) re-checks fn each time something arrives
//   poll(fn)  the same for what sends no event (another process, a browser)
//   withTimeout(promise, ms, what)
//   sleep(ms) only where time passing is what a test is about (say so at the call)

/** Sanitizer builds run about three times slower: scale every bound by this. */
export const SLOW = process.env.CARRIER_BUILD && /san/.test(process.env.CARRIER_BUILD) ? 3 : 1;

/** The default timeout of a wait. */
export const T = 5000 * SLOW;

/**
 * A fixed delay.  Not for synchronisation: only where letting time pass is the
 * thing under test (a bucket refilling, an interval between keystrokes...).
 */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const describe = (what) => (typeof what === 'function' ? what() : what);

/**
 * Something that receives: a subclass calls _wake() whenever it has taken in more
 * (bytes, a frame, a close), and until() re-checks its condition then.
 */
export class Waitable {
  constructor() {
    this._waiters = new Set();
    this._version = 0;
  }

  /** More has arrived: re-check every pending until(). */
  _wake() {
    this._version++;
    for (const w of [...this._waiters]) w();
  }

  /** Resolves at the next _wake(), or after ms. */
  _changed(ms) {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this._waiters.delete(done); resolve(); };
      const timer = setTimeout(done, ms);
      this._waiters.add(done);
    });
  }

  /**
   * Resolve with fn()'s first value other than undefined.  fn may be async (a
   * screen to render); it is called again whenever something arrives, and rejects
   * the wait by throwing.  what (a string, or a function for a message built at
   * the time) says in the timeout error what was awaited.
   */
  async until(fn, timeout = T, what = 'condition') {
    const deadline = Date.now() + timeout;
    for (;;) {
      const seen = this._version;
      const v = await fn();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeout} ms waiting for ${describe(what)}`);
      // Something that arrived while fn ran is checked at once.
      if (this._version === seen) await this._changed(left);
    }
  }
}

/**
 * For what sends no event (a tmux pane, another process): resolve with fn()'s
 * first truthy value, asking again every `every` ms.
 */
export async function poll(fn, { timeout = T, every = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${describe(what)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** promise, or a rejection naming `what` if it has not settled within ms. */
export function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${describe(what)}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}
