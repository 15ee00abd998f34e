import type { Dispatcher } from 'undici';

type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> &
  Partial<Pick<Dispatcher.RequestOptions, 'method'>>;

/**
 * undici's `request`, with undici (about 1 MB of code) loaded on the first call: the CLI's short verbs (status, a
 * warm rollback) import the modules that probe and check over HTTP, but most runs never send a request.
 */
export async function request(url: string | URL, options?: RequestOptions): Promise<Dispatcher.ResponseData> {
  const undici = await import('undici');
  return undici.request(url, options);
}
