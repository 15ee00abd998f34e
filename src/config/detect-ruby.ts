import type { Detector, DetectContext, KindGuess } from './app-guess.js';
import {
  deriveHealthPath,
  describePortUse,
  hasEntry,
  sourcesWith,
  type ProjectFiles,
  type Reasoned,
} from './scan-app-source.js';

const ROUTES = 'config/routes.rb';
/** Gems go into the release, and `bundle exec` finds them there through the same settings. */
const BUNDLE_ENV = { BUNDLE_PATH: 'vendor/bundle', BUNDLE_WITHOUT: 'development:test' };

/** A Ruby project: Gemfile's server (Rails, Puma, Rack, Sinatra), gems bundled into the release. */
export const rubyDetector: Detector = {
  markers: ['Gemfile'],
  wants: (files) => (files.entries.includes('config/') ? [ROUTES] : []),
  detect: (files, context) => detectRuby(files, context),
};

function detectRuby(files: ProjectFiles, { listenHost }: DetectContext): KindGuess {
  const gemfile = files.texts.Gemfile ?? '';
  const has = (gem: string) => new RegExp(`^\\s*gem\\s+['"]${gem}['"]`, 'm').test(gemfile);
  const rails = has('rails') || has('railties');
  const run = deriveRun(files, listenHost, rails, has);
  const frozen = hasEntry(files, 'Gemfile.lock');
  const env: Reasoned<Record<string, string>> = {
    value: rails
      ? { ...BUNDLE_ENV, RAILS_ENV: 'production', RAILS_LOG_TO_STDOUT: '1' }
      : { ...BUNDLE_ENV, RACK_ENV: 'production' },
    why: [
      'BUNDLE_PATH and BUNDLE_WITHOUT as in the build: bundle exec finds the gems in the release.',
      ...(rails
        ? ['Rails in production also needs SECRET_KEY_BASE or RAILS_MASTER_KEY: add it to `secrets`.']
        : []),
    ],
  };
  return {
    description: `a Ruby project (Gemfile${rails ? ', Rails' : ''})`,
    build: {
      value: `${frozen ? 'BUNDLE_FROZEN=true ' : ''}BUNDLE_PATH=vendor/bundle BUNDLE_WITHOUT=development:test bundle install`,
      why: [
        'The gems are installed into vendor/bundle, inside the release: hosts need only ruby and bundler.',
        frozen
          ? 'BUNDLE_FROZEN: exactly what Gemfile.lock lists.'
          : 'No Gemfile.lock: commit one for repeatable builds.',
        ...(rails ? ['Rails assets: add `&& bundle exec rails assets:precompile` if the app has any.'] : []),
      ],
    },
    exclude: { value: [], why: [] },
    run,
    healthPath: rails ? deriveRailsHealth(files) : deriveHealthPath(sourcesWith(files, ['.rb', '.ru'])),
    env,
  };
}

function deriveRun(
  files: ProjectFiles,
  host: string,
  rails: boolean,
  has: (gem: string) => boolean,
): Reasoned<string> {
  if (rails) {
    return {
      value: `bundle exec rails server -b ${host} -p $PORT`,
      why: ['Gemfile has rails: rails server (Puma).'],
    };
  }
  const rackup = hasEntry(files, 'config.ru');
  if (has('puma') && rackup) {
    return {
      value: `bundle exec puma -b tcp://${host}:$PORT`,
      why: ['Gemfile has puma, and config.ru is the app.'],
    };
  }
  if (rackup) {
    return {
      value: `bundle exec rackup --host ${host} --port $PORT`,
      why: ['config.ru is the app; rackup starts it with the server the Gemfile has.'],
    };
  }
  const script = sourcesWith(files, ['.rb']).find((s) => /require\s+['"]sinatra['"]/.test(s.text));
  if (has('sinatra') && script) {
    return {
      value: `bundle exec ruby ${script.file} -o ${host} -p $PORT`,
      why: [`Gemfile has sinatra; ${script.file} requires it and runs itself.`],
    };
  }
  const main = sourcesWith(files, ['.rb']).find((s) => ['app.rb', 'server.rb', 'main.rb'].includes(s.file));
  return {
    value: `bundle exec ruby ${main?.file ?? 'app.rb'}`,
    why: main
      ? [`No Rails, Rack or Sinatra app found: ${main.file}.`, ...describePortUse(main)]
      : [
          'Warning: no Rails, config.ru or Sinatra app found: put the command that starts the app on $PORT here.',
        ],
  };
}

/** Rails 7.1 and later answer `get "up" => "rails/health#show"`. */
function deriveRailsHealth(files: ProjectFiles): Reasoned<string> {
  const routes = files.texts[ROUTES] ?? '';
  const path = /get\s+['"]\/?([\w/-]+)['"]\s*(?:=>|,\s*to:)\s*['"]rails\/health#show['"]/.exec(routes)?.[1];
  if (path !== undefined) {
    return { value: `/${path}`, why: [`${ROUTES} routes /${path} to rails/health#show.`] };
  }
  return {
    value: '/',
    why: [
      `No rails/health#show route in ${ROUTES}: "/" is checked instead.`,
      'Rails 7.1 and later have one: get "up" => "rails/health#show" (then put /up here).',
    ],
  };
}
