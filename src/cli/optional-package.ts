import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A package a command needs for one of its options, and that option is used without it installed. */
export class MissingPackageError extends Error {
  constructor(
    readonly packageName: string,
    readonly usedFor: string,
  ) {
    super(`${usedFor} needs the "${packageName}" package: install it with \`npm install ${packageName}\``);
    this.name = 'MissingPackageError';
  }
}

/**
 * Loads `name`, a package only some options of the command line use (the MQTT client for
 * `--mqtt`, the Redis client for `--redis`). They are optional peer dependencies, so that
 * installing the library does not install them; loaded when the option is used, with an error
 * saying how to install the package when it is not there.
 */
export function loadOptionalPackage(name: string, usedFor: string): unknown {
  try {
    return require(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') throw new MissingPackageError(name, usedFor);
    throw error;
  }
}
