/** Ids are built from inputs (pure); randomness, where wanted, is passed in by the caller. */
export function deriveTargetId(app: string, version: string, deploymentId: string, suffix?: string): string {
  return `${app}-${sanitize(version)}-${deploymentId.slice(-6)}${suffix ? `-${suffix}` : ''}`;
}

export function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** A sortable id: time in base36 plus random suffix supplied by the caller. */
export function deriveDeploymentId(nowMs: number, random: string): string {
  return `d${nowMs.toString(36)}${random}`;
}
