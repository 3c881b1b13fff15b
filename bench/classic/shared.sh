# Sourced by the scripts of bench/classic/: finds the shared folder (as
# clips/run.sh does: $ADVISE_SHARED, else <repo>/../shared, else next to the
# main checkout of a git worktree) and, with case_file KIND NAME, a file of
# its bench/KIND/ or, failing that, of bench/classic/KIND/ (the small cases
# kept in the repository for CI).
shared=${ADVISE_SHARED:-}
if [[ -z $shared ]]; then
  shared=$root/../shared
  if [[ ! -d $shared ]] && common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    shared=$(dirname "$common")/../shared
  fi
fi
case_file() {
  if [[ -f $shared/bench/$1/$2 ]]; then echo "$shared/bench/$1/$2"
  elif [[ -f $here/$1/$2 ]]; then echo "$here/$1/$2"
  else return 1
  fi
}
