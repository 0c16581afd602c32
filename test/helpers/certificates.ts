/**
 * Self-signed certificates for TLS tests, made with the `openssl` command, and the skip reason of
 * tests that need it: without openssl they skip with a message, except under CI=true, where they
 * must run (and fail).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** `skip` for a test that needs openssl: a message when it is missing, `false` when it is there or under CI=true. */
export const skipWithoutOpenssl: string | false =
  !hasOpenssl && process.env['CI'] !== 'true' ? 'openssl is not installed (set CI=true to make this a failure)' : false;

/** A private key and its certificate, PEM. */
export interface Certificate {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** Where they were written. */
  readonly keyPath: string;
  readonly certPath: string;
}

/** A self-signed certificate with subject `CN=name` for `subjectAltName` (e.g. `DNS:localhost,IP:127.0.0.1`), made with openssl in `dir`. */
export function selfSigned(dir: string, name: string, subjectAltName: string): Certificate {
  const keyPath = join(dir, `${name}-key.pem`);
  const certPath = join(dir, `${name}-cert.pem`);
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${subjectAltName}`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `openssl failed: ${result.stderr}`);
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), keyPath, certPath };
}
