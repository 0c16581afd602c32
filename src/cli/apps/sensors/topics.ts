/**
 * Topic names and subscription patterns with MQTT's rules (MQTT 5.0 §4.7): levels separated by
 * `/`, `+` matching exactly one level, `#` matching the parent level and every level below it.
 * The library has no topics of its own yet; this is the sensor hub's small matcher.
 */

/** The longest topic or pattern accepted, in UTF-16 units (MQTT allows 65535 bytes; a demo needs far less). */
export const MAX_TOPIC_LENGTH = 256;

/** The most levels a topic or pattern may have. */
export const MAX_TOPIC_LEVELS = 16;

/**
 * Why `text` is not a topic name a message can be published to, or `undefined` when it is one.
 * Topic names hold no wildcards (MQTT 5.0 §4.7.3); the hub also refuses names starting with `$`,
 * which MQTT keeps for the broker's own topics (§4.7.2).
 */
export function topicNameProblem(text: unknown): string | undefined {
  const problem = commonProblem(text, 'topic');
  if (problem !== undefined) return problem;
  const topic = text as string;
  if (topic.includes('+') || topic.includes('#')) return 'a topic name must not contain the wildcards + or #';
  if (topic.startsWith('$')) return 'topics starting with $ are reserved';
  return undefined;
}

/**
 * Why `text` is not a subscription pattern, or `undefined` when it is one: `+` must fill a whole
 * level, `#` must fill the last level (MQTT 5.0 §4.7.1).
 */
export function patternProblem(text: unknown): string | undefined {
  const problem = commonProblem(text, 'pattern');
  if (problem !== undefined) return problem;
  const levels = (text as string).split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1))
      return '# must be a whole level and the last one, as in sensors/#';
    if (level.includes('+') && level !== '+') return '+ must be a whole level, as in sensors/+/temperature';
  }
  return undefined;
}

function commonProblem(text: unknown, what: string): string | undefined {
  if (typeof text !== 'string') return `a ${what} must be a string`;
  if (text.length === 0) return `a ${what} must not be empty`;
  if (text.length > MAX_TOPIC_LENGTH) return `a ${what} may have at most ${MAX_TOPIC_LENGTH} characters`;
  // MQTT 5.0 §1.5.4: no U+0000; control characters would only garble the pages that show topics.
  if (/[\u0000-\u001f\u007f]/.test(text)) return `a ${what} must not contain control characters`;
  if (text.split('/').length > MAX_TOPIC_LEVELS) return `a ${what} may have at most ${MAX_TOPIC_LEVELS} levels`;
  return undefined;
}

/**
 * Whether the topic name `topic` matches the subscription pattern `pattern` (both already valid).
 * `+` matches one level, empty ones included; `#` matches its parent level and everything below
 * (`sensors/#` matches `sensors` itself, MQTT 5.0 §4.7.1.2); a wildcard in the first level does not
 * match topics starting with `$` (§4.7.2).
 *
 * @example
 * topicMatches('sensors/+/temperature', 'sensors/kitchen/temperature'); // true
 * topicMatches('sensors/#', 'relays/kitchen/0'); // false
 */
export function topicMatches(pattern: string, topic: string): boolean {
  if (topic.startsWith('$') && (pattern.startsWith('+') || pattern.startsWith('#'))) return false;
  const wanted = pattern.split('/');
  const levels = topic.split('/');
  for (const [index, level] of wanted.entries()) {
    if (level === '#') return true;
    if (index >= levels.length || (level !== '+' && level !== levels[index])) return false;
  }
  return wanted.length === levels.length;
}
