// Loads `switchboard/<subpath>` from the TypeScript sources instead of the built package, so the
// examples, which import the package by name as an application would, run against the code under
// test without a build. Used as `node --import tsx --import ./test/integrations/switchboard-from-source.mjs`.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const SUBPATH = /^switchboard\/(protocol|ws|engine|server|adapter)$/;

// Module hooks run on a thread of their own, which loads this file again: register only once.
if (isMainThread) register(import.meta.url);

/** Resolves `switchboard/<subpath>` to `src/<subpath>/index.ts`; everything else as usual. */
export async function resolve(specifier, context, nextResolve) {
  const match = SUBPATH.exec(specifier);
  if (match === null) return nextResolve(specifier, context);
  // Handed on to the next resolver (tsx's), which knows how to load TypeScript.
  return nextResolve(new URL(`../../src/${match[1]}/index.ts`, import.meta.url).href, context);
}
