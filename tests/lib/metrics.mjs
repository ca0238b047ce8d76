// The metrics listener from a test: scrape /metrics and read samples by name and
// labels.
//
//   const m = await scrape(srv.metricsPort);
//   m.get('carrier_chat_deliveries_total', { kind: 'public' })   // a number, or undefined
//   m.text                                                        // the page itself
//   await waitMetric(srv.metricsPort, 'carrier_logins_total', { result: 'ok' }, (v) => v >= 3)
import { poll, T } from './wait.mjs';

/** Parse Prometheus text: a Map from 'name{a="1",b="2"}' (labels sorted) to a number. */
export function parseMetrics(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[2]) {
      for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
      }
    }
    samples.set(key(m[1], labels), Number(m[3]));
  }
  return samples;
}

function key(name, labels = {}) {
  const l = Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(String(labels[k]))}`);
  return l.length ? `${name}{${l.join(',')}}` : name;
}

/** GET path from the metrics listener; the response's status, headers and text. */
export async function fetchText(port, path = '/metrics', init = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** One scrape: { text, samples, get(name, labels) }. */
export async function scrape(port) {
  const { status, text } = await fetchText(port);
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  const samples = parseMetrics(text);
  return { text, samples, get: (name, labels) => samples.get(key(name, labels)) };
}

/** Scrape until pred(value of name{labels}) holds; returns that scrape. */
export async function waitMetric(port, name, labels, pred, timeout = T) {
  let last;
  try {
    return await poll(async () => {
      last = await scrape(port);
      return pred(last.get(name, labels)) ? last : undefined;
    }, { timeout, what: `${key(name, labels)} to satisfy ${pred}` });
  } catch (e) {
    e.message += `; last value: ${last?.get(name, labels)}`;
    throw e;
  }
}
