/** Every line the CLI prints as prose (help, notes) fits a terminal this wide. */
export const HELP_WIDTH = 100;

/** `text` as lines of at most `width` characters, broken at spaces (a longer word stays whole). */
export function wrap(text: string, width: number = HELP_WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
