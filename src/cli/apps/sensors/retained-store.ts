import type { JsonValue, TopicMessage } from './messages.js';
import { topicMatches } from './topics.js';

/**
 * The last payload of each topic (MQTT's retained messages), so that a page that subscribes shows
 * the current state at once. Bounded: when full, the topic updated longest ago is forgotten.
 */
export class RetainedStore {
  // A Map iterates in insertion order; deleting before setting moves a topic to the end, so the
  // first entry is always the one updated longest ago.
  private readonly messages = new Map<string, JsonValue>();

  constructor(private readonly maxTopics: number) {}

  /** Keeps `payload` as the last value of `topic`. */
  set(topic: string, payload: JsonValue): void {
    this.messages.delete(topic);
    this.messages.set(topic, payload);
    if (this.messages.size > this.maxTopics) this.messages.delete(this.messages.keys().next().value!);
  }

  /** The retained messages whose topic matches `pattern`, oldest update first. */
  matching(pattern: string): TopicMessage[] {
    const found: TopicMessage[] = [];
    for (const [topic, payload] of this.messages) if (topicMatches(pattern, topic)) found.push({ topic, payload });
    return found;
  }

  /** How many topics are kept. */
  get size(): number {
    return this.messages.size;
  }
}
