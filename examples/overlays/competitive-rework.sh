#!/bin/bash
# id: competitive-rework
# name: Competitive Rework (ZoneMod, confogl)
# description: SirPlease's L4D2-Competitive-Rework unpacked into left4dead2/:
# description: SourceMod, Metamod:Source, the competitive plugins and the ZoneMod/confogl configs.
# incremental: no
#
# Runs in the left4me build sandbox (left4me-build@.service): the working
# directory is the empty output directory, bound at /overlay ($OVERLAY);
# nothing else is writable except a private /tmp. Needs curl and tar.
#
# Edit REF to pin a branch, tag or commit of the repository.
set -euo pipefail

REF="${REF:-master}"
REPO="SirPlease/L4D2-Competitive-Rework"
CODELOAD="${CODELOAD:-https://codeload.github.com}"
OUT="${OVERLAY:-/overlay}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "downloading $REPO at $REF"
curl --fail --location --silent --show-error --retry 3 \
	--output "$work/repo.tar.gz" \
	"$CODELOAD/$REPO/tar.gz/$REF"

mkdir "$work/src"
tar -xzf "$work/repo.tar.gz" -C "$work/src" --strip-components=1 --no-same-owner --no-same-permissions

# The repository's top level is a left4dead2/ directory plus documentation
# (README, install guides, CI files): copy the game directories only.
mkdir -p "$OUT/left4dead2"
copied=0
for d in "$work/src"/*/; do
	name="$(basename "$d")"
	case "$name" in
	*" "* | .*) continue ;; # "Dedicated Server Install Guide" and the like
	esac
	echo "adding left4dead2/$name"
	cp -R --no-preserve=ownership "$d" "$OUT/left4dead2/$name"
	copied=$((copied + 1))
done
if [ ! -d "$OUT/left4dead2/addons/sourcemod" ] || [ ! -d "$OUT/left4dead2/cfg" ]; then
	echo "unexpected repository layout: no addons/sourcemod or cfg directory" >&2
	exit 1
fi
echo "competitive rework ($REF): $copied directories, $(find "$OUT" -type f | wc -l) files"
