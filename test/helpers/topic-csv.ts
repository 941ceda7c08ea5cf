/**
 * A small 3-label text classification set that a toy model learns in a few steps: each row names
 * words of one topic in a varied frame, with quotes and commas so the CSV needs real quoting.
 */
const TOPICS: Readonly<Record<string, readonly string[]>> = {
  sports: ['football', 'goal', 'team', 'match', 'player', 'coach', 'score', 'league'],
  cooking: ['soup', 'bread', 'oven', 'recipe', 'butter', 'kitchen', 'salt', 'dinner'],
  weather: ['rain', 'snow', 'storm', 'wind', 'cloud', 'sunny', 'cold', 'forecast'],
};
const FRAMES = [
  'i think the {a} was great',
  'tell me about the {a} and the {b}',
  'the {a}, the {b} and more',
  'she said "{a}" twice',
  'what a {a} today',
];

/** The labels in the order a trained model reports them (sorted). */
export const TOPIC_LABELS = Object.keys(TOPICS).sort();

/** Rows cycling through the labels (so every positional share of the file has all three). */
export function topicRows(count: number, offset: number): [string, string][] {
  const labels = Object.keys(TOPICS);
  return Array.from({ length: count }, (_, i) => {
    const label = labels[i % 3]!;
    const words = TOPICS[label]!;
    const k = i + offset;
    const text = FRAMES[k % FRAMES.length]!.replace('{a}', words[k % 8]!).replace(
      '{b}',
      words[(k * 3 + 1) % 8]!,
    );
    return [text, label];
  });
}

/** RFC 4180, columns id,utterance,topic: quote a field holding a comma or quote, doubling its quotes. */
export function topicCsv(records: [string, string][]): string {
  const field = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `id,utterance,topic\n${records.map(([t, l], i) => `${i},${field(t)},${l}`).join('\n')}\n`;
}
