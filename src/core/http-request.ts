import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';

type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> &
  Partial<Pick<Dispatcher.RequestOptions, 'method'>>;

/**
 * undici's `request`, with undici (about 1 MB of code) loaded on the first call: the CLI's short verbs (status, a
 * warm rollback) import the modules that probe and check over HTTP, but most runs never send a request.
 */
export async function request(url: string | URL, options?: RequestOptions): Promise<Dispatcher.ResponseData> {
  // undici is CommonJS: loaded from the sources its exports are named, from the CLI's bundle they are its default.
  const loaded = (await import('undici')) as typeof Undici & { default?: typeof Undici };
  return (loaded.default ?? loaded).request(url, options);
}
