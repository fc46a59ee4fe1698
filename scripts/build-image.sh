#!/usr/bin/env bash
# Builds Den's Debian workspace image (default den-debian:bookworm) with
# debootstrap, once per machine: an image that already carries the current
# recipe version (label den.image.recipe) is reused.
#
#   scripts/build-image.sh [IMAGE]
#
# The image: Debian bookworm minbase with ca-certificates, git, sudo, curl,
# procps, less, vim-tiny, openssh-client, iproute2, bash-completion and
# locales; the user dev (uid/gid 1000, /home/dev, bash, passwordless sudo) as
# its default user; LANG=en_US.UTF-8. The Debian mirror comes from this
# machine's apt configuration. Uses $DOCKER_HOST, or the engine that
# scripts/docker-engine.sh starts.
set -euo pipefail

image=${1:-den-debian:bookworm}
suite=bookworm
# Bump recipe when anything below changes what goes into the image.
recipe=2
packages=ca-certificates,git,sudo,curl,procps,less,vim-tiny,openssh-client,iproute2,bash-completion,locales

say() { echo "build-image: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

if [ -z "${DOCKER_HOST:-}" ]; then
  DOCKER_HOST=$("$here/docker-engine.sh")
fi
export DOCKER_HOST

have_recipe() {
  [ "$(docker image inspect --format '{{index .Config.Labels "den.image.recipe"}}' "$image" 2>/dev/null || true)" = "$recipe" ]
}

if have_recipe; then
  say "$image (recipe $recipe) is already on $DOCKER_HOST"
  exit 0
fi

# One build at a time on a machine.
exec 9>/tmp/den-build-image.lock
flock 9
if have_recipe; then
  say "$image (recipe $recipe) was built meanwhile"
  exit 0
fi

# mirror prints the URI of the first enabled Debian source for $suite in
# this machine's apt configuration (deb822 .sources files, then the
# one-line format).
mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      BEGIN { RS = "" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        n = split($0, lines, "\n")
        for (i = 1; i <= n; i++) {
          line = lines[i]
          if (line ~ /^[ \t]*#/) continue
          key = tolower(line); sub(/:.*/, "", key)
          val = line; sub(/^[^:]*:[ \t]*/, "", val)
          if (key == "types") types = val
          else if (key == "uris") uris = val
          else if (key == "suites") suites = val
          else if (key == "enabled") enabled = tolower(val)
        }
        if (enabled == "no") next
        if ((" " types " ") !~ / deb /) next
        if ((" " suites " ") !~ (" " suite " ")) next
        split(uris, u, /[ \t]+/)
        if (u[1] ~ /^(https?|ftp|file):/) { print u[1]; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite && $i ~ /^(https?|ftp|file):/) { print $i; exit }
      }' "$f"
  done
}

url=$(mirror | head -n 1)
if [ -z "$url" ]; then
  say "no Debian $suite source in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; add one (debootstrap needs a mirror)"
  exit 1
fi

if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq debootstrap >&2
fi

dir=$(mktemp -d /var/tmp/den-image.XXXXXX)
cleanup() { $sudo rm -rf --one-file-system "$dir"; }
trap cleanup EXIT

start=$SECONDS
say "debootstrap $suite into $dir (about a minute)"
if ! $sudo debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$url" >"$dir.log" 2>&1; then
  say "debootstrap failed; the end of its log:"
  tail -n 30 "$dir.log" >&2
  [ -f "$dir/debootstrap/debootstrap.log" ] && tail -n 30 "$dir/debootstrap/debootstrap.log" >&2
  rm -f "$dir.log"
  exit 1
fi
rm -f "$dir.log"

say "adding the user dev, the locale, and cleaning apt's lists"
$sudo chroot "$dir" /bin/bash -euc '
  groupadd --gid 1000 dev
  useradd --uid 1000 --gid 1000 --create-home --home-dir /home/dev --shell /bin/bash dev
  # A volume mounted where the image has no directory would belong to root;
  # the starter template mounts its cache here, so dev owns it.
  install -d -o dev -g dev /home/dev/.cache
  echo "dev ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/dev
  chmod 0440 /etc/sudoers.d/dev
  sed -i "s/^# *\(en_US.UTF-8 UTF-8\)/\1/" /etc/locale.gen
  locale-gen >/dev/null
  echo "LANG=en_US.UTF-8" > /etc/default/locale
  apt-get clean
  rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log /tmp/* /var/tmp/*
  : > /etc/machine-id
'

say "importing $image into $DOCKER_HOST"
$sudo tar --numeric-owner -C "$dir" -c . | docker import \
  --change "LABEL den.image.recipe=$recipe" \
  --change "ENV LANG=en_US.UTF-8" \
  --change "USER dev" \
  --change "WORKDIR /home/dev" \
  --change 'CMD ["/bin/bash"]' \
  - "$image" >/dev/null
say "built $image (recipe $recipe) in $((SECONDS - start))s"
