import { describe, expect, it } from 'vitest';
import { findHealthPath, namesPackage, parseProcfileWeb, quoteShellWord } from './scan-app-source.js';

describe('namesPackage', () => {
  it.each([
    ['gunicorn==20.1\n', 'gunicorn', true],
    ['Flask>=3\n', 'flask', true],
    ['flask-cors\n', 'flask', false],
    ['django-environ\n', 'django', false],
    ['uvicorn[standard]>=0.29\n', 'uvicorn', true],
    ['dependencies = ["fastapi>=0.110", "httpx"]\n', 'fastapi', true],
    ['[tool.poetry.dependencies]\ngunicorn = "^21"\n', 'gunicorn', true],
    ['# gunicorn is not used\n', 'gunicorn', false],
    ['flask  # the web framework\n', 'flask', true],
    ['pygunicorn\n', 'gunicorn', false],
    ['waitress ; python_version > "3.8"\n', 'waitress', true],
  ])('%j names %s: %s', (text, name, expected) => {
    expect(namesPackage(text, name)).toBe(expected);
  });
});

describe('parseProcfileWeb', () => {
  it.each([
    ['web: gunicorn app:app\nworker: celery\n', 'gunicorn app:app'],
    [
      'release: ./migrate\nweb:   bundle exec puma -C config/puma.rb  \n',
      'bundle exec puma -C config/puma.rb',
    ],
    ['worker: x\n', undefined],
    [undefined, undefined],
  ])('%j → %j', (text, command) => {
    expect(parseProcfileWeb(text)).toBe(command);
  });
});

describe('findHealthPath', () => {
  it('prefers the most specific conventional route, and names the file', () => {
    const sources = [
      { file: 'a.js', text: "app.get('/ping', ok); app.get('/status', ok)" },
      { file: 'b.js', text: 'if (url === "/healthz/") ok()' },
    ];
    expect(findHealthPath(sources)).toEqual({ path: '/healthz', file: 'b.js' });
  });

  it('does not take a longer path that starts like one', () => {
    expect(findHealthPath([{ file: 'a.py', text: '"/health/db"  "/statusbar"' }])).toBeUndefined();
  });
});

describe('quoteShellWord', () => {
  it.each([
    ['server.js', 'server.js'],
    ['--bind=0.0.0.0:8000', '--bind=0.0.0.0:8000'],
    ['$PORT', "'$PORT'"],
    ["it's", "'it'\\''s'"],
    ['a b', "'a b'"],
  ])('%s → %s', (word, quoted) => {
    expect(quoteShellWord(word)).toBe(quoted);
  });
});
