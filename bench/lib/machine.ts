import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { ROOT, TASKSET } from './children.js';

/** The machine and software a run measured. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly packages: Readonly<Record<string, string>>;
  readonly commit: string;
  /** How the processes were placed on cores. */
  readonly pinning: string;
  /** 1-minute load average when the run started: well above the core count means other work competed. */
  readonly loadAverage: number;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function gitCommit(revision: string | undefined): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', revision ?? 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    if (revision !== undefined) return `${commit} (src/ as committed)`;
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty === '' ? commit : `${commit} (src/ modified)`;
  } catch {
    return 'unknown';
  }
}

/**
 * Describes this machine: CPU, cores, Node and the versions of the packages compared, and the
 * commit measured (`revision` when the library was compiled from git rather than the working tree).
 */
export function machineInfo(revision?: string): MachineInfo {
  const own = require('../../package.json') as { version: string };
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    packages: {
      switchboard: own.version,
      ws: packageVersion('ws'),
      bufferutil: packageVersion('bufferutil'),
      'utf-8-validate': packageVersion('utf-8-validate'),
    },
    commit: gitCommit(revision),
    pinning:
      TASKSET === undefined
        ? 'taskset not found: processes not pinned'
        : cpus().length >= 2
          ? 'server on core 0, load generators on core 1 (taskset)'
          : 'one core: server and generators share it',
    loadAverage: Number(loadavg()[0]!.toFixed(2)),
  };
}
