/** Words a POSIX shell passes through unchanged (no globbing, expansion, tilde or `=` at the start). */
const SAFE_WORD = /^[A-Za-z0-9_/.,:@%+-][A-Za-z0-9_/.,:@%+=-]*$/;

/**
 * Turns an argv array into the one command string an SSH exec takes (the remote user's POSIX shell splits it
 * again). The only place remote commands are quoted: everything else builds argv arrays.
 */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('quoteArgv: empty argv');
  return argv.map(quoteWord).join(' ');
}

export function quoteWord(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
