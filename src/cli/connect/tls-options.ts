import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import type { WebSocketOptions } from '../../ws/index.js';
import { UsageError } from '../command.js';

/** The `parseArgs` options of a client command that may connect over `wss://`: whom to trust. */
export const TLS_CLIENT_OPTIONS = {
  ca: { type: 'string' },
  insecure: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

/** What {@link tlsSocketOptions} reads: the values of {@link TLS_CLIENT_OPTIONS}. */
export interface TlsClientValues {
  /** `--ca <file>`: a PEM certificate (or several) to trust besides Node's bundled authorities. */
  readonly ca?: string | undefined;
  /** `--insecure`: accept a server whose certificate does not verify. */
  readonly insecure: boolean;
}

/** The WebSocket options that carry `--ca` and `--insecure`. */
export type TlsSocketOptions = Pick<WebSocketOptions, 'ca' | 'rejectUnauthorized'>;

/** What a client command prints on stderr when `--insecure` is given, so that it is never a quiet choice. */
export const INSECURE_WARNING =
  "WARNING: --insecure: the server's certificate is not verified, so anyone on the way can read and " +
  'change this traffic, credentials included. Prefer --ca <file> to trust a self-signed certificate.';

/**
 * Turns `--ca` and `--insecure` into WebSocket options, the same way for each client command.
 *
 * @throws UsageError when both are given (one trusts a certificate, the other trusts any), or
 * when the `--ca` file cannot be read or holds no PEM certificate.
 */
export function tlsSocketOptions(values: TlsClientValues): TlsSocketOptions {
  if (values.ca !== undefined && values.insecure) {
    throw new UsageError('--ca and --insecure contradict each other: --ca trusts one certificate, --insecure any');
  }
  if (values.insecure) return { rejectUnauthorized: false };
  if (values.ca === undefined) return {};
  const ca = readOptionFile('--ca', values.ca);
  readCertificate('--ca', values.ca, ca);
  return { ca };
}

/**
 * {@link tlsSocketOptions} for a connection to `url`: `--ca` and `--insecure` only mean something
 * for `wss://` (or `https://`), so on a plain URL they are refused rather than quietly ignored.
 *
 * @throws UsageError as {@link tlsSocketOptions} does, and for either option on a plain URL.
 */
export function tlsSocketOptionsFor(url: URL, values: TlsClientValues): TlsSocketOptions {
  const options = tlsSocketOptions(values);
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  if (!secure && (values.ca !== undefined || values.insecure)) {
    throw new UsageError(`${values.insecure ? '--insecure' : '--ca'} is for a wss:// URL, got ${url.protocol}//`);
  }
  return options;
}

/**
 * Reads the file an option names.
 *
 * @throws UsageError naming the option and the file when it cannot be read or is empty.
 */
export function readOptionFile(option: string, path: string): Buffer {
  let contents: Buffer;
  try {
    contents = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new UsageError(`${option} cannot read "${path}" (${reason})`);
  }
  if (contents.length === 0) throw new UsageError(`${option} names an empty file, "${path}"`);
  return contents;
}

/**
 * Parses the first certificate of a PEM file (the leaf of a chain).
 *
 * @throws UsageError naming the option when `pem` holds no PEM certificate.
 */
export function readCertificate(option: string, path: string, pem: Buffer): X509Certificate {
  // X509Certificate would take DER too, which TLS contexts do not: ask for the PEM armour first.
  if (pem.includes('-----BEGIN CERTIFICATE-----')) {
    try {
      return new X509Certificate(pem);
    } catch {
      // Reported below, as for a file without the armour.
    }
  }
  throw new UsageError(`${option} needs a PEM certificate ("-----BEGIN CERTIFICATE-----"), "${path}" holds none`);
}

/**
 * Parses an unencrypted PEM private key.
 *
 * @throws UsageError naming the option when `pem` holds none (an encrypted key included).
 */
export function readPrivateKey(option: string, path: string, pem: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new UsageError(`${option} needs an unencrypted PEM private key, "${path}" holds none`);
  }
}
