/**
 * Checks shared by string keys that end up in a process (its command line, environment or a path): none of
 * these can hold a NUL byte, so one in the file would only fail once a target or a build is started.
 */
export const NUL_MESSAGE =
  'must not contain a NUL byte ("\\0"): no command, path or environment variable can hold one';

export function hasNulByte(text: string): boolean {
  return text.includes('\0');
}
