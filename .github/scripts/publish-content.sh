#!/usr/bin/env bash
# Commits what a scheduled run wrote: Markdown files under content/ only (never site/, never the
# cache). Called by .github/workflows/publish.yml; tests/test_workflows.py runs it against local
# repositories with a stand-in for `gh`.
#
#   publish-content.sh prepare  before the run, in review mode: bring in the drafts of the open
#                               pull request, so that the run does not write them again
#   publish-content.sh commit   after the run: REVIEW=false commits to BRANCH and pushes it;
#                               REVIEW=true commits onto aibot/drafts (BRANCH + the new content),
#                               force-pushes it, and sets the step output drafts_pushed
#   publish-content.sh pr       open the pull request aibot/drafts -> BRANCH unless one is open
#
# Environment: BRANCH (default main), REVIEW (true|false), COMMIT_MESSAGE (for commit), and for
# pr GH_TOKEN and GH_REPO as `gh` wants them. AIBOT_CONFIG (default aibot.yaml) for prepare.
set -euo pipefail

DRAFTS=aibot/drafts
BRANCH=${BRANCH:-main}
# Markdown under content/ at any depth (** also matches no folder at all).
CONTENT=':(glob)content/**/*.md'

output() {
    # A step output for the workflow (GitHub's file; nowhere when run by hand).
    echo "$1=$2" >>"${GITHUB_OUTPUT:-/dev/null}"
}

stage_content() {
    git add --all -- "$CONTENT"
}

as_bot() {
    git -c user.name='github-actions[bot]' \
        -c user.email='41898282+github-actions[bot]@users.noreply.github.com' "$@"
}

review_mode() {
    python -c 'import sys; from aibot.config import load_config
sys.exit(0 if load_config(sys.argv[1]).publish.review else 1)' "${AIBOT_CONFIG:-aibot.yaml}"
}

remote_drafts() {
    # The drafts branch on the remote, fetched as origin/aibot/drafts; false when there is none.
    git ls-remote --exit-code --heads origin "$DRAFTS" >/dev/null || return 1
    git fetch -q origin "+refs/heads/$DRAFTS:refs/remotes/origin/$DRAFTS"
}

prepare() {
    review_mode || { echo "review mode is off: nothing to prepare"; return 0; }
    remote_drafts || { echo "no $DRAFTS branch yet"; return 0; }
    if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
        git fetch -q --unshallow origin "$BRANCH"
    fi
    local base path taken=0
    base=$(git merge-base HEAD "origin/$DRAFTS")
    # A file the drafts changed is taken unless BRANCH changed it too since (an editor's fix or
    # a merged draft): then BRANCH's version stays.
    while IFS= read -r -d '' path; do
        if git diff --quiet "$base" HEAD -- "$path"; then
            git checkout "origin/$DRAFTS" -- "$path"
            taken=$((taken + 1))
        fi
    done < <(git diff -z --name-only --diff-filter=AM "$base" "origin/$DRAFTS" -- "$CONTENT")
    echo "brought in $taken file(s) from $DRAFTS"
}

commit() {
    : "${COMMIT_MESSAGE:?COMMIT_MESSAGE is required}"
    stage_content
    if [ "${REVIEW:-false}" = true ]; then
        commit_drafts
        return
    fi
    if git diff --cached --quiet; then
        echo "no post changed: nothing to commit"
        return 0
    fi
    as_bot commit -q -m "$COMMIT_MESSAGE"
    # An editor may have pushed meanwhile: replay the commit on top, a few times at most.
    local attempt
    for attempt in 1 2 3; do
        if git push -q origin "HEAD:refs/heads/$BRANCH"; then
            echo "pushed $(git rev-parse --short HEAD) to $BRANCH"
            return 0
        fi
        echo "push to $BRANCH refused (attempt $attempt): rebasing on it"
        as_bot pull -q --rebase origin "$BRANCH"
    done
    echo "could not push to $BRANCH" >&2
    return 1
}

commit_drafts() {
    if git diff --cached --quiet HEAD; then
        echo "no post differs from $BRANCH: nothing to propose"
        output drafts_pushed false
        return 0
    fi
    local lease=""
    if remote_drafts; then
        lease="--force-with-lease=refs/heads/$DRAFTS:$(git rev-parse "origin/$DRAFTS")"
    fi
    git checkout -q -B "$DRAFTS"
    as_bot commit -q -m "$COMMIT_MESSAGE"
    if [ -n "$lease" ] && git diff --quiet "origin/$DRAFTS" HEAD; then
        echo "$DRAFTS already holds these posts: not pushed"
        output drafts_pushed false
        return 0
    fi
    # The lease replaces the branch only if nobody pushed to it since it was fetched.
    git push -q ${lease:+"$lease"} origin "HEAD:refs/heads/$DRAFTS"
    echo "pushed $(git rev-parse --short HEAD) to $DRAFTS"
    output drafts_pushed true
}

pr() {
    local open
    open=$(gh pr list --head "$DRAFTS" --base "$BRANCH" --state open --json number --jq length)
    if [ "$open" != 0 ]; then
        echo "a pull request from $DRAFTS is open: the push updated it"
        return 0
    fi
    gh pr create --head "$DRAFTS" --base "$BRANCH" \
        --title "AiBot: new and updated posts for review" \
        --body "AiBot's scheduled runs add their new and updated posts to this pull request \
(branch \`$DRAFTS\`, updated in place every hour while it is open). Edit the posts here if \
needed; merging publishes them. Set \`publish.review: false\` in aibot.yaml to publish directly."
}

case "${1:-}" in
    prepare | commit | pr) "$1" ;;
    *)
        echo "usage: $0 prepare|commit|pr" >&2
        exit 2
        ;;
esac
