/**
 * The package as a user gets it: `npm pack` (which builds through `prepack`), the tarball
 * installed into a fresh project, then that project type-checked in strict mode without
 * `skipLibCheck` by every TypeScript the project carries, under each module resolution, and run
 * from plain Node ESM and CommonJS. The tarball is packed and installed once for the whole file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/processes.js';
import {
  COMMONJS_CALL_FORMS_SCRIPT,
  COMMONJS_TYPESCRIPT_CONSUMER,
  SERVED_CLIENT_BUNDLE_SCRIPT,
  commonJsScript,
  moduleScript,
  typeScriptConsumer,
} from './consumer-sources.js';

const require = createRequire(import.meta.url);

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly exports: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  readonly scripts?: Readonly<Record<string, string>>;
}

interface PackReport {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;

/** What a user imports: the root and every subpath of `exports` (the manifest is no module). */
const SPECIFIERS = Object.keys(manifest.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));

/** Every TypeScript the project carries: the current release and the native preview (7). */
const COMPILERS = ['typescript', 'typescript-7'].map((name) => {
  const home = dirname(require.resolve(`${name}/package.json`));
  const { version } = JSON.parse(readFileSync(join(home, 'package.json'), 'utf8')) as { version: string };
  return { name: `TypeScript ${version}`, major: Number.parseInt(version, 10), tsc: join(home, 'bin', 'tsc') };
});

/**
 * The consumer's compiler settings: strict, no skipLibCheck, and each resolution users pick.
 * `removedIn` is the TypeScript major that no longer knows the setting.
 */
const SETTINGS: readonly {
  readonly name: string;
  readonly compilerOptions: Readonly<Record<string, unknown>>;
  readonly files: readonly string[];
  readonly removedIn?: number;
}[] = [
  // Default `lib` (the DOM included, whose WebSocket and events must not clash with ours).
  {
    name: 'node16',
    compilerOptions: { module: 'node16', moduleResolution: 'node16', types: ['node'] },
    files: ['consumer.ts'],
  },
  // nodenext lets a CommonJS module import the ESM package (compiled to require(), Node ≥ 20.19).
  {
    name: 'nodenext',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] },
    files: ['consumer.ts', 'commonjs.cts'],
  },
  {
    name: 'bundler',
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler', types: ['node'] },
    files: ['consumer.ts'],
  },
  // What `tsc --init` writes: no global types at all; the package's declarations must bring Node's.
  ...['node16', 'nodenext', 'bundler'].map((resolution) => ({
    name: `${resolution}, "types": []`,
    compilerOptions: {
      module: resolution === 'bundler' ? 'esnext' : resolution,
      moduleResolution: resolution,
      types: [],
      lib: ['es2022'],
    },
    files: ['consumer.ts'],
  })),
  // A CommonJS project of the TypeScript 4 era (what `module: commonjs` implies): subpaths found
  // through `typesVersions`, and no default import of a CommonJS module in the declarations.
  {
    name: 'node10, commonjs, no esModuleInterop',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: false, types: ['node'] },
    files: ['consumer.ts'],
    removedIn: 7,
  },
];

/** Runs a command to completion within `timeoutMs`; rejects with its output when it fails. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(
            `${command} ${args.join(' ')} failed: ${error.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
          ),
        );
      else resolve({ stdout, stderr });
    });
  });
}

/** The relative link targets of a Markdown text, without their `#fragment`. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0]!);
}

describe('the packed package, installed in a fresh project', () => {
  let work = '';
  let consumer = '';
  let installed = '';
  let shipped: ReadonlySet<string> = new Set();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'switchboard-package-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], REPO_ROOT, 180_000);
    const [report] = JSON.parse(packed.stdout) as PackReport[];
    assert.ok(report, 'npm pack reported no tarball');
    shipped = new Set(report.files.map((file) => file.path));
    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, report.filename)],
      consumer,
      120_000,
    );
    installed = join(consumer, 'node_modules', manifest.name);
    // The project's own @types/node, linked rather than downloaded; after the install, which
    // would remove it as extraneous.
    mkdirSync(join(consumer, 'node_modules', '@types'));
    symlinkSync(
      dirname(require.resolve('@types/node/package.json')),
      join(consumer, 'node_modules', '@types', 'node'),
      'dir',
    );
    writeFileSync(join(consumer, 'consumer.ts'), typeScriptConsumer(SPECIFIERS));
    writeFileSync(join(consumer, 'commonjs.cts'), COMMONJS_TYPESCRIPT_CONSUMER);
    writeFileSync(join(consumer, 'echo.mjs'), moduleScript(SPECIFIERS));
    writeFileSync(join(consumer, 'echo.cjs'), commonJsScript(SPECIFIERS));
    writeFileSync(join(consumer, 'call-forms.cjs'), COMMONJS_CALL_FORMS_SCRIPT);
    writeFileSync(join(consumer, 'served-client.mjs'), SERVED_CLIENT_BUNDLE_SCRIPT);
  });

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('ships the build, LICENSE and README, and no sources or source maps', () => {
    for (const file of ['LICENSE', 'README.md', 'package.json'])
      assert.ok(shipped.has(file), `${file} is not in the tarball`);
    for (const entry of Object.values(manifest.exports)) {
      for (const target of typeof entry === 'string' ? [entry] : Object.values(entry)) {
        assert.ok(shipped.has(posix.normalize(target)), `the export target ${target} is not in the tarball`);
      }
    }
    const unwanted = [...shipped].filter((file) => file.endsWith('.map') || /^(src|test|bench)\//.test(file));
    assert.deepEqual(unwanted, [], 'the tarball holds sources or source maps');
  });

  it('runs no script when installed (npm ci --omit=dev needs no build tools)', () => {
    const { scripts = {} } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      assert.equal(scripts[hook], undefined, `"${hook}" runs on install`);
  });

  it('resolves every relative link of its Markdown files to a file it ships', () => {
    const dead: string[] = [];
    for (const file of [...shipped].filter((path) => path.endsWith('.md'))) {
      for (const link of relativeLinks(readFileSync(join(installed, file), 'utf8'))) {
        const target = posix.normalize(posix.join(posix.dirname(file), link)).replace(/\/$/, '');
        if (!shipped.has(target) && ![...shipped].some((path) => path.startsWith(`${target}/`)))
          dead.push(`${file} → ${link}`);
      }
    }
    assert.deepEqual(dead, [], 'links to files the package does not ship');
  });

  for (const compiler of COMPILERS) {
    // A resolution a compiler no longer has (TypeScript 7 dropped node10, TS5108) is not a setting its users can pick.
    for (const setting of SETTINGS.filter(({ removedIn }) => removedIn === undefined || compiler.major < removedIn)) {
      it(`type-checks with ${compiler.name}, strict, no skipLibCheck, ${setting.name}`, async () => {
        const config = `tsconfig.${compiler.name.replace(/\W+/g, '-')}.${setting.name.replace(/\W+/g, '-')}.json`;
        const compilerOptions = {
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'es2022',
          ...setting.compilerOptions,
        };
        writeFileSync(join(consumer, config), JSON.stringify({ compilerOptions, files: setting.files }));
        await run(process.execPath, [compiler.tsc, '-p', config, '--pretty', 'false'], consumer, 120_000);
      });
    }
  }

  it('loads every subpath from plain Node ESM and echoes a message', async () => {
    const { stdout } = await run(process.execPath, ['echo.mjs'], consumer, 30_000);
    assert.match(stdout, /^echo: hello$/m);
  });

  it('loads every subpath with require() and echoes a message', async () => {
    const { stdout } = await run(process.execPath, ['echo.cjs'], consumer, 30_000);
    assert.match(stdout, /^echo: hello$/m);
  });

  it("takes socket.io's and ws's CommonJS call forms: require('switchboard/server')(srv), new (require('switchboard/ws'))(url)", async () => {
    const { stdout } = await run(process.execPath, ['call-forms.cjs'], consumer, 30_000);
    assert.match(stdout, /^echo: hello$/m);
  });

  it('serves its own browser bundle at /socket.io/socket.io.js, a global io, without socket.io-client installed', async () => {
    const { stdout } = await run(process.execPath, ['served-client.mjs'], consumer, 30_000);
    assert.match(stdout, /^served: true 200 function$/m);
  });

  it('installs the switchboard command', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(consumer, 'node_modules', '.bin', 'switchboard'), 'version'],
      consumer,
      30_000,
    );
    assert.match(stdout, new RegExp(`^switchboard ${manifest.version.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('installs neither the MQTT nor the Redis client; serve --mqtt or --redis without them says what to install', async () => {
    for (const optional of ['mqtt', 'redis']) {
      assert.throws(
        () => require.resolve(optional, { paths: [consumer] }),
        `${optional} was installed with the package`,
      );
    }
    const command = join(consumer, 'node_modules', '.bin', 'switchboard');
    for (const [flag, value, name] of [
      ['--mqtt', 'mqtt://127.0.0.1:1883', 'mqtt'],
      ['--redis', 'redis://127.0.0.1:6379', 'redis'],
    ] as const) {
      await assert.rejects(
        run(process.execPath, [command, 'serve', '--port', '0', flag, value], consumer, 30_000),
        (error: Error) =>
          new RegExp(`needs the "${name}" package: install it with \`npm install ${name}\``).test(error.message) &&
          /Command failed/.test(error.message),
      );
    }
  });
});
