import { redact } from '../core/secret.js';
import type { TargetRecord } from './target-record.js';
import type { LogLine } from './runtime.js';

/**
 * The secret values a target was started with: whatever it writes may contain them, so every runtime redacts
 * them from the output it hands out (log lines, followed lines, stderr tails).
 */
export function targetSecretValues(record: TargetRecord | undefined): string[] {
  return record ? Object.values(record.spec.secretEnv) : [];
}

/** A line of a target's output as it may be shown: each secret value replaced by the redaction marker. */
export function redactLogLine(line: LogLine, secrets: readonly string[]): LogLine {
  return { stream: line.stream, line: redact(line.line, secrets) };
}
