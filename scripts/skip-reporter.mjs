// A node:test reporter that writes one JSON line per skipped test or suite, and per `todo` test (it
// runs, but its failure fails nothing): its file, its name and the reason given to `skip` or `todo`.
// node:test counts a skipped `describe` as neither a test nor a skip (its summary says "skipped 0"
// while a whole file did not run), so scripts/run-tests.mjs reads these lines to say, at the end of
// the run, what did not run and why.
import { relative } from 'node:path';

/** @param {AsyncIterable<{ type: string, data: Record<string, unknown> }>} source */
export default async function* skipReporter(source) {
  for await (const event of source) {
    // A failing `todo` test reports `test:fail`, which does not fail the run.
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, todo, file, name, nesting } = event.data;
    // A skipped suite reports `test:pass` with its reason; its tests report nothing.
    const skipped = skip !== undefined && skip !== false;
    if (!skipped && (todo === undefined || todo === false)) continue;
    const mark = skipped ? skip : todo;
    const reason = `${skipped ? '' : 'todo: '}${typeof mark === 'string' ? mark : '(no reason given)'}`;
    const where = typeof file === 'string' ? relative(process.cwd(), file) : '(unknown file)';
    yield `${JSON.stringify({ file: where, name, nesting, reason })}\n`;
  }
}
