/**
 * Splits what follows `emit <event>` into its arguments: JSON values one after the other,
 * separated by white space (`{"a":1} [2,3] "x y" 4`). A word that is not JSON is taken as a string,
 * so `emit chat hello` sends "hello" as `emit chat "hello"` does.
 *
 * @throws SyntaxError naming the argument when an object, array or string is not valid JSON.
 */
export function parseJsonArguments(text: string): unknown[] {
  const values: unknown[] = [];
  let index = skipSpace(text, 0);
  while (index < text.length) {
    const end = valueEnd(text, index);
    values.push(parseValue(text.slice(index, end)));
    index = skipSpace(text, end);
  }
  return values;
}

/** Splits off the first word (or JSON string) of `text`: the event name, an ack id. */
export function firstWord(text: string): { word: string; rest: string } {
  const start = skipSpace(text, 0);
  const end = valueEnd(text, start);
  const token = text.slice(start, end);
  const word = token.startsWith('"') ? String(parseValue(token)) : token;
  return { word, rest: text.slice(end) };
}

function skipSpace(text: string, index: number): number {
  while (index < text.length && /\s/.test(text[index]!)) index++;
  return index;
}

/** Where the value starting at `start` ends: its closing bracket or quote, or the next white space. */
function valueEnd(text: string, start: number): number {
  const first = text[start];
  if (first !== '{' && first !== '[' && first !== '"') {
    let index = start;
    while (index < text.length && !/\s/.test(text[index]!)) index++;
    return index;
  }
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') {
        inString = false;
        if (depth === 0) return index + 1;
      }
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return index + 1;
    }
  }
  throw new SyntaxError(`unterminated ${first === '"' ? 'string' : 'JSON value'}: ${text.slice(start)}`);
}

function parseValue(token: string): unknown {
  const structured = token.startsWith('{') || token.startsWith('[') || token.startsWith('"');
  try {
    return JSON.parse(token);
  } catch (error) {
    if (structured) throw new SyntaxError(`not valid JSON: ${token} (${(error as Error).message})`);
    return token;
  }
}
