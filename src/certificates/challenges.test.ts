import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerHttp01, Http01Answers } from './challenges.js';

const answers = new Http01Answers();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (!answerHttp01(answers, req, res)) res.writeHead(200).end('the app');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('answerHttp01', () => {
  it('answers a known token with its key authorization, exactly', async () => {
    answers.set('tok_en-1', 'tok_en-1.thumbprint');
    const res = await fetch(`${base}/.well-known/acme-challenge/tok_en-1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('tok_en-1.thumbprint');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('404 for an unknown or removed token, 405 for a POST; other paths go to the caller', async () => {
    answers.set('gone', 'gone.x');
    answers.remove('gone');
    expect((await fetch(`${base}/.well-known/acme-challenge/gone`)).status).toBe(404);
    expect((await fetch(`${base}/.well-known/acme-challenge/../x`)).status).toBe(200); // normalized by fetch
    expect((await fetch(`${base}/.well-known/acme-challenge/a%2Fb`)).status).toBe(404);
    answers.set('t', 't.x');
    expect((await fetch(`${base}/.well-known/acme-challenge/t`, { method: 'POST' })).status).toBe(405);
    const app = await fetch(`${base}/`);
    expect(await app.text()).toBe('the app');
  });
});
