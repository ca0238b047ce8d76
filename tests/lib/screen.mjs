// What a terminal shows: pipe raw terminal bytes (UTF-8 + ANSI) through
// build/tests/vtscreen (libvterm) and get the screen back.
//
//   const s = await renderScreen(bytes, { cols: 80, rows: 24 });
//   s.text   -> ['row 0', 'row 1', ...]  (trailing blanks trimmed)
//   s.fg     -> one char per cell: '0'-'9','a'-'f' palette colour, '.' default, '*' other
//   s.bold   -> one char per cell: 'B' bold, '.' not
//   s.cursor -> [row, col];  s.bells -> number of BELs seen
//   screenHas(s, 'text') / screenRow(s, /re/) for assertions.
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

/** True if some row contains needle (a string) or matches it (a RegExp). */
export function screenHas(screen, needle) {
  return screenRow(screen, needle) >= 0;
}

/** Index of the first row containing/matching needle, or -1. */
export function screenRow(screen, needle) {
  return screen.text.findIndex((row) =>
    typeof needle === 'string' ? row.includes(needle) : needle.test(row));
}
