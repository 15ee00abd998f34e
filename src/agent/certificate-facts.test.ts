import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../router/test-certificates.js';
import {
  describeCertificatePem,
  describeFrontDoorCertificates,
  readCertificateFacts,
} from './certificate-facts.js';

describe('certificate facts', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.remove());

  it('describes a certificate: its DNS names, issuer and validity', () => {
    const leaf = pki.issue('shop', ['shop.test', 'www.shop.test'], { days: 30 });
    const facts = describeCertificatePem(leaf.cert);
    expect(facts.names).toEqual(['shop.test', 'www.shop.test']);
    expect(facts.issuer).toBe('CN=Slipway Test CA');
    const days = (Date.parse(facts.notAfter) - Date.parse(facts.notBefore)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    expect(new Date(facts.notAfter).toISOString()).toBe(facts.notAfter);
  });

  it('reads a file again once it changed, and says why one cannot be described instead of throwing', () => {
    const first = pki.issue('changing', ['one.test']);
    expect(readCertificateFacts(first.certFile)).toMatchObject({ names: ['one.test'] });
    const second = pki.issue('changing', ['two.test', 'three.test']);
    expect(second.certFile).toBe(first.certFile);
    expect(readCertificateFacts(second.certFile)).toMatchObject({ names: ['two.test', 'three.test'] });

    const missing = join(pki.dir, 'missing.pem');
    expect(readCertificateFacts(missing)).toEqual({ error: `cannot read ${missing}: ENOENT` });
    const garbage = join(pki.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate');
    expect(readCertificateFacts(garbage)).toMatchObject({
      error: expect.stringContaining(`${garbage} holds no PEM certificate`) as unknown,
    });
  });

  it("lists a front door route's certificates with their source; an unreadable one carries its error", () => {
    const leaf = pki.issue('door', ['door.test']);
    const missing = join(pki.dir, 'gone.pem');
    const files = describeFrontDoorCertificates({
      certificates: [{ certFile: leaf.certFile }, { certFile: missing }],
    });
    expect(files).toEqual([
      expect.objectContaining({ file: leaf.certFile, names: ['door.test'], source: 'files' }),
      {
        file: missing,
        names: [],
        issuer: '',
        notBefore: '',
        notAfter: '',
        source: 'files',
        error: `cannot read ${missing}: ENOENT`,
      },
    ]);
    expect(files[0]).not.toHaveProperty('error');
    const acme = describeFrontDoorCertificates({ certificates: [{ certFile: leaf.certFile }], acme: {} });
    expect(acme[0]?.source).toBe('acme');
  });
});
