import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

export interface Question {
  prompt: string;
  /** Typed characters are not echoed (a password). */
  secret?: boolean;
}

/**
 * Asks each question on the terminal in turn. readline echoes what is typed through its
 * output stream, so a secret answer is typed while that stream is muted.
 */
export async function ask(questions: readonly Question[]): Promise<string[]> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const terminal = createInterface({ input: process.stdin, output, terminal: true });
  // In raw mode Ctrl-C arrives as a key; without a listener readline would only pause.
  terminal.on('SIGINT', () => {
    process.stdout.write('\n');
    process.exit(130);
  });
  try {
    const answers: string[] = [];
    for (const { prompt, secret = false } of questions) {
      const answer = terminal.question(prompt);
      // question() has written the prompt by now; what follows is the typing.
      muted = secret;
      answers.push(await answer);
      if (muted) process.stdout.write('\n');
      muted = false;
    }
    return answers;
  } finally {
    terminal.close();
  }
}
