#!/usr/bin/env bash
# The merges a deploy of main includes, and the plans reviewed on each: every first-parent commit since the
# last successful deploy, this one included. GitHub keeps one pending deploy run, so a merge whose own run was
# superseded is deployed by a later run: that run applies its changes too, and must check them against its
# review. For each merge: its pull request, the successful plan run of the pull request's head, and that run's
# plan set, downloaded into DIR/<number>/. Prints one line per merge; writes the deploy's --reviewed flags to
# DIR/flags and the pull request numbers to DIR/prs. A merge with no pull request, or no successful plan run,
# stops it: nothing reviewed, nothing applied.
#
# Usage: scripts/reviewed-merges.sh DIR   (needs GH_TOKEN, GITHUB_REPOSITORY, GITHUB_SHA; a checkout with history)
set -euo pipefail
out="${1:?usage: scripts/reviewed-merges.sh DIR}"
mkdir -p "$out"
: >"$out/flags"
: >"$out/prs"

last=$(gh run list --workflow deploy.yml --branch main --status success --limit 1 --json headSha --jq '.[0].headSha // empty')
if [[ -n "$last" ]] && git merge-base --is-ancestor "$last" "$GITHUB_SHA" 2>/dev/null; then
  commits=$(git rev-list --first-parent --reverse "$last..$GITHUB_SHA")
else
  # No earlier deploy, or history rewritten: this merge alone.
  commits=$GITHUB_SHA
fi

for commit in $commits; do
  pr=$(gh api "repos/$GITHUB_REPOSITORY/commits/$commit/pulls" --jq '.[0].number // empty')
  if [[ -z "$pr" ]]; then
    echo "::error::$commit came from no pull request: nothing was reviewed, so nothing is applied" >&2
    exit 1
  fi
  head=$(gh api "repos/$GITHUB_REPOSITORY/pulls/$pr" --jq .head.sha)
  run=$(gh run list --workflow plan.yml --commit "$head" --status success --limit 1 --json databaseId --jq '.[0].databaseId // empty')
  if [[ -z "$run" ]]; then
    echo "::error::no successful plan run for $head, the reviewed head of #$pr: nothing is applied" >&2
    exit 1
  fi
  gh run download "$run" --name "reviewed-plans-$head" --dir "$out/$pr"
  printf -- '--reviewed\n%s\n' "$out/$pr" >>"$out/flags"
  echo "$pr" >>"$out/prs"
  if [[ "$commit" == "$GITHUB_SHA" ]]; then
    echo "#$pr (head ${head:0:7}, plan run $run): this merge"
  else
    echo "#$pr (head ${head:0:7}, plan run $run): merged as ${commit:0:7}; its own deploy was superseded, so this one applies it"
  fi
done
