/** The agent's version; the control plane compares it to decide whether a host's agent must be upgraded. */
export const AGENT_VERSION = '0.1.0';
