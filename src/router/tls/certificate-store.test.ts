import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestLeaf, type TestPki } from '../test-certificates.js';
import { CertificateLoadError, CertificateStore } from './certificate-store.js';

let pki: TestPki;
let shop: TestLeaf;
let blog: TestLeaf;
let wildcard: TestLeaf;
const stores: CertificateStore[] = [];

beforeAll(() => {
  pki = createTestPki();
  shop = pki.issue('shop', ['shop.test', 'www.shop.test']);
  blog = pki.issue('blog', ['blog.test']);
  wildcard = pki.issue('wildcard', ['*.apps.test']);
});
afterAll(() => {
  for (const store of stores) store.close();
  pki.remove();
});

async function load(
  certificates: { id: string; leaf: TestLeaf }[],
  defaultCertificate: string | null = null,
): Promise<CertificateStore> {
  const store = await CertificateStore.load({
    certificates: certificates.map(({ id, leaf }) => ({
      id,
      certFile: leaf.certFile,
      keyFile: leaf.keyFile,
    })),
    defaultCertificate,
    watch: false,
    nowMs: () => 1_000,
  });
  stores.push(store);
  return store;
}

describe('CertificateStore', () => {
  it('describes what it serves: names, issuer, validity, fingerprint, no key', async () => {
    const store = await load([
      { id: 'shop', leaf: shop },
      { id: 'wild', leaf: wildcard },
    ]);
    const [first, second] = store.certificates();
    expect(first).toMatchObject({
      id: 'shop',
      names: ['shop.test', 'www.shop.test'],
      issuer: 'CN=Slipway Test CA',
      loadedAtMs: 1_000,
      certFile: shop.certFile,
    });
    expect(first!.notAfterMs - first!.notBeforeMs).toBe(2 * 86_400_000);
    expect(first!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(second!.names).toEqual(['*.apps.test']);
    expect(JSON.stringify(store.certificates())).not.toContain('PRIVATE KEY');
  });

  it('chooses contexts by name; covers() ignores the default certificate', async () => {
    const store = await load(
      [
        { id: 'shop', leaf: shop },
        { id: 'blog', leaf: blog },
        { id: 'wild', leaf: wildcard },
      ],
      'blog',
    );
    const shopContext = store.contextFor('shop.test');
    expect(shopContext).not.toBeNull();
    expect(store.contextFor('WWW.shop.test')).toBe(shopContext);
    expect(store.contextFor('a.apps.test')).not.toBe(shopContext);
    expect(store.contextFor('unknown.test')).toBe(store.contextFor('blog.test')); // the default
    expect(store.contextFor(null)).toBe(store.contextFor('blog.test'));
    expect([store.covers('shop.test'), store.covers('a.apps.test'), store.covers('unknown.test')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(store.defaultCredentials()?.cert).toBe(blog.cert);
  });

  it('fails the handshake of an unknown name without a default', async () => {
    const store = await load([{ id: 'shop', leaf: shop }]);
    expect(store.contextFor('blog.test')).toBeNull();
    expect(store.defaultCredentials()).toBeNull();
    const answer = await new Promise<Error | null>((resolve) =>
      store.sniCallback('blog.test', (err) => resolve(err)),
    );
    expect(answer?.message).toBe('no certificate for the requested server name');
  });

  it.each([
    [
      'a missing file',
      () => Promise.resolve({ certFile: `${pki.dir}/missing.pem`, keyFile: shop.keyFile }),
      /a file is missing/,
    ],
    [
      'garbage',
      async () => {
        await writeFile(`${pki.dir}/garbage.pem`, 'not PEM\n');
        return { certFile: `${pki.dir}/garbage.pem`, keyFile: shop.keyFile };
      },
      /does not load/,
    ],
    [
      'a key of another certificate',
      () => Promise.resolve({ certFile: shop.certFile, keyFile: blog.keyFile }),
      /does not belong/,
    ],
  ])('refuses to start with %s, naming the files and not their content', async (_name, files, message) => {
    const err = await CertificateStore.load({
      certificates: [{ id: 'x', ...(await files()) }],
      watch: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateLoadError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/^certificate x \(/);
    expect((err as Error).message).not.toContain('BEGIN');
  });

  it('refuses a default that is not among the certificates, and two certificates with one id', async () => {
    await expect(load([{ id: 'shop', leaf: shop }], 'blog')).rejects.toThrow(/default certificate blog/);
    await expect(
      load([
        { id: 'shop', leaf: shop },
        { id: 'shop', leaf: blog },
      ]),
    ).rejects.toThrow(/two certificates have the id shop/);
  });

  it('configure() keeps what is loaded, adds and drops, and tells when the default changes', async () => {
    const store = await load([{ id: 'shop', leaf: shop }], 'shop');
    const before = store.contextFor('shop.test');
    let defaultChanges = 0;
    store.onDefaultChange(() => defaultChanges++);
    const files = (id: string, leaf: TestLeaf) => ({ id, certFile: leaf.certFile, keyFile: leaf.keyFile });
    await store.configure([files('shop', shop), files('blog', blog)], 'shop');
    expect(store.contextFor('shop.test')).toBe(before); // not loaded again
    expect(store.contextFor('blog.test')).not.toBeNull();
    expect(defaultChanges).toBe(0);
    await store.configure([files('blog', blog)], 'blog');
    expect(store.contextFor('shop.test')).toBe(store.contextFor('blog.test')); // the default now
    expect(store.covers('shop.test')).toBe(false);
    expect(defaultChanges).toBe(1);
    // All or nothing: a failing list changes nothing.
    await expect(
      store.configure(
        [files('blog', blog), { id: 'bad', certFile: shop.certFile, keyFile: blog.keyFile }],
        null,
      ),
    ).rejects.toThrow(CertificateLoadError);
    expect(store.certificates().map((c) => c.id)).toEqual(['blog']);
  });
});
