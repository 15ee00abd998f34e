import type Docker from 'dockerode';

const clients = new Map<string, Docker>();

/**
 * A client for the Docker Engine on a unix socket, one per socket. dockerode is loaded on first use, so an agent
 * whose targets are all processes never loads it (and runs on hosts without Docker).
 */
export async function connectDocker(socketPath: string): Promise<Docker> {
  const existing = clients.get(socketPath);
  if (existing) return existing;
  const { default: DockerClient } = await import('dockerode');
  const client = new DockerClient({ socketPath });
  clients.set(socketPath, client);
  return client;
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

export const isDockerNotFound = (err: unknown): boolean => statusOf(err) === 404;
/** 304: the container was already started (or already stopped). */
export const isDockerNotModified = (err: unknown): boolean => statusOf(err) === 304;
