// Certificates for the TLS tests, made on the spot with `openssl req` (Debian's
// openssl), and what a client needs to trust them.
//
//   const dir = tempDir();
//   const a = makeCert(dir, 'a');                 // {cert, key, pem, fingerprint}
//   const old = makeCert(dir, 'old', { expired: true });
//   const srv = await startServer({ config: tlsConfig(a) });
//   https.get({ ..., ca: a.pem }) / Caller.connect(srv.wssUrl, { ca: a.pem })
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory (remove it with rmDir). */
export const tempDir = () => mkdtempSync(join(tmpdir(), 'carrier-tls-'));
export const rmDir = (dir) => rmSync(dir, { recursive: true, force: true });

/**
 * A key and a self-signed certificate for 127.0.0.1 and localhost, as
 * DIR/NAME.crt and DIR/NAME.key.  opts.expired: valid until yesterday;
 * opts.curve: the key's curve (default P-256); opts.rsa: an RSA key instead.
 */
export function makeCert(dir, name, { expired = false, rsa = false, cn = 'localhost' } = {}) {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const keyOpts = rsa ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  const subject = ['-subj', `/CN=${cn}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
  if (!expired) {
    execFileSync('openssl', ['req', '-x509', ...keyOpts, '-nodes', '-keyout', key, '-out', cert,
      '-days', '2', ...subject], { stdio: 'pipe' });
  } else {
    // openssl req cannot back-date; x509 -days -1 ends the validity yesterday.
    const csr = join(dir, `${name}.csr`);
    execFileSync('openssl', ['req', '-new', ...keyOpts, '-nodes', '-keyout', key, '-out', csr,
      ...subject], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-signkey', key, '-days', '-1',
      '-out', cert], { stdio: 'pipe' });
  }
  const pem = readFileSync(cert);
  return { cert, key, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

/** [server] settings serving https on a free loopback port with this certificate. */
export function tlsConfig(c, extra = '') {
  return `[server]\nhttps = "127.0.0.1:0"\ntls_cert = "${c.cert}"\ntls_key = "${c.key}"\n${extra}`;
}
