/** The same rule createRelease enforces: what a tag or template must yield to be a version. */
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

export interface CommitFacts {
  sha: string;
  branch: string;
  /** Tags pointing at the commit, preferred first. */
  tags: readonly string[];
  /** Commits reachable from it (a number that grows along the branch). */
  count: number;
}

/**
 * A commit's release version: its first tag that is a usable version, else the template with `{sha}`,
 * `{shortSha}` (7 characters), `{branch}` (characters a version cannot hold become `-`) and `{count}` filled in.
 */
export function deriveReleaseVersion(commit: CommitFacts, template: string): string {
  const tag = commit.tags.find((t) => VERSION_PATTERN.test(t));
  if (tag) return tag;
  const values: Record<string, string> = {
    sha: commit.sha,
    shortSha: commit.sha.slice(0, 7),
    branch: commit.branch.replace(/[^A-Za-z0-9._+-]/g, '-'),
    count: String(commit.count),
  };
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? (values[name] ?? whole) : whole,
  );
}
