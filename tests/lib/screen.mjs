// What a terminal shows: pipe raw terminal bytes (UTF-8 + ANSI) through
// build/tests/vtscreen (libvterm) and get the screen back.
//
//   const s = await renderScreen(bytes, { cols: 80, rows: 24 });
//   s.text   -> ['row 0', 'row 1', ...]  (trailing blanks trimmed)
//   s.fg     -> one char per cell: '0'-'9','a'-'f' palette colour, '.' default, '*' other
//   s.bold   -> one char per cell: 'B' bold, '.' not
//   s.cursor -> [row, col];  s.bells -> number of BELs seen
//   screenHas(s, 'text') / screenRow(s, /re/) for assertions.
//
// And the text of a byte stream, for what scrolled away or must never arrive:
//   plain(bytes) (CSI sequences taken out), count(text, needle), isUtf8(bytes).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildDir } from './server.mjs';

export const vtscreenBin = process.env.VTSCREEN_BIN || join(buildDir, 'tests', 'vtscreen');

/**
 * @param {Buffer|Uint8Array|string} bytes
 * @param {{cols?:number, rows?:number}} [opts]
 * @returns {Promise<{cols:number, rows:number, cursor:[number,number], bells:number,
 *   text:string[], fg:string[], bold:string[]}>}
 */
export function renderScreen(bytes, { cols = 80, rows = 24 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(vtscreenBin, [String(cols), String(rows)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`vtscreen exited ${code}: ${err}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        reject(new Error(`vtscreen printed bad JSON: ${e.message}`));
      }
    });
    p.stdin.on('error', () => {});   // reported through 'close'
    p.stdin.end(Buffer.from(bytes));
  });
}

/** The whole screen as one string, rows joined by '\n'. */
export function screenText(screen) {
  return screen.text.join('\n');
}

/** True if text contains needle (a string) or matches it (a RegExp). */
export function textHas(text, needle) {
  return typeof needle === 'string' ? text.includes(needle) : needle.test(text);
}

/** True if some row contains needle (a string) or matches it (a RegExp). */
export function screenHas(screen, needle) {
  return screenRow(screen, needle) >= 0;
}

/** Index of the first row containing/matching needle, or -1. */
export function screenRow(screen, needle) {
  return screen.text.findIndex((row) => textHas(row, needle));
}

/** A screen test from a needle: a string or RegExp (some row has it), or a function
 * of the screen. */
export function screenTest(needle) {
  return typeof needle === 'function' ? needle : (s) => screenHas(s, needle);
}

// ---------------------------------------------------------------------------
// The text of a byte stream

/** Bytes as text (UTF-8) with every CSI sequence removed. */
export function plain(buf) {
  // eslint-disable-next-line no-control-regex
  return buf.toString('utf8').replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '');
}

/** How many times hay contains needle (a string, or a RegExp). */
export function count(hay, needle) {
  if (needle instanceof RegExp) return (hay.match(new RegExp(needle.source, 'g')) || []).length;
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** True if buf is valid UTF-8. */
export function isUtf8(buf) {
  try { new TextDecoder('utf-8', { fatal: true }).decode(buf); return true; } catch { return false; }
}

/** The BELs in buf. */
export const bellsIn = (buf) => buf.filter((b) => b === 7).length;
