import { describe, expect, it } from 'vitest';
import { parseRequestTarget, type RequestTarget } from './request-target.js';

describe('parseRequestTarget', () => {
  it.each<[string, string, RequestTarget]>([
    ['GET', '/', { kind: 'origin', path: '/' }],
    ['GET', '/a/b?c=d', { kind: 'origin', path: '/a/b?c=d' }],
    ['GET', '//double', { kind: 'origin', path: '//double' }],
    ['OPTIONS', '*', { kind: 'origin', path: '*' }],
    ['GET', 'http://evil.example/x?y', { kind: 'absolute', path: '/x?y', authority: 'evil.example' }],
    ['GET', 'HTTP://Shop.Example:8080', { kind: 'absolute', path: '/', authority: 'Shop.Example:8080' }],
    ['GET', 'https://h?q=1', { kind: 'absolute', path: '/?q=1', authority: 'h' }],
    ['GET', 'http://[::1]:80/p', { kind: 'absolute', path: '/p', authority: '[::1]:80' }],
    ['GET', 'http://10.0.0.1//p', { kind: 'absolute', path: '//p', authority: '10.0.0.1' }],
  ])('%s %s → %j', (method, target, expected) => {
    expect(parseRequestTarget(method, target)).toEqual(expected);
  });

  it.each([
    ['GET', '*'],
    ['GET', 'evil.example:443'],
    ['GET', 'ftp://evil.example/'],
    ['GET', 'http://user:pw@evil.example/'],
    ['GET', 'http:///nohost'],
    ['GET', 'http://a b/'],
    ['GET', 'x'],
    ['GET', 'http://evil.example/#frag'],
  ])('%s %s is refused', (method, target) => {
    expect(parseRequestTarget(method, target).kind).toBe('invalid');
  });
});
