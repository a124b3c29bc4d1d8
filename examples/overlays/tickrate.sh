#!/bin/bash
# id: tickrate
# name: Tickrate 100
# description: The Tickrate Enabler server addon plus a cfg with matching rate cvars.
# description: Instances using it need the srcds argument "-tickrate 100" and "exec tickrate.cfg" in server.cfg.
# incremental: no
#
# Runs in the left4me build sandbox with the output directory at /overlay
# ($OVERLAY). Needs curl and unzip.
#
# Edit TICKRATE to change the rate; RELEASE_API names the GitHub release to
# take the addon from.
set -euo pipefail

TICKRATE="${TICKRATE:-100}"
RELEASE_API="${RELEASE_API:-https://api.github.com/repos/accelerator74/Tickrate-Enabler/releases/latest}"
OUT="${OVERLAY:-/overlay}"

case "$TICKRATE" in
'' | *[!0-9]*) echo "TICKRATE must be a number, not '$TICKRATE'" >&2; exit 1 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "looking up the latest Tickrate Enabler release"
curl --fail --location --silent --show-error --retry 3 --output "$work/release.json" "$RELEASE_API"
# The asset list is small JSON: pick the first .zip download URL.
url="$(grep -o '"browser_download_url": *"[^"]*\.zip"' "$work/release.json" | head -n1 | sed 's/.*"\(http[^"]*\)"$/\1/')"
if [ -z "$url" ]; then
	echo "no .zip asset in the release at $RELEASE_API" >&2
	exit 1
fi
echo "downloading $url"
curl --fail --location --silent --show-error --retry 3 --output "$work/addon.zip" "$url"
mkdir "$work/x"
unzip -q "$work/addon.zip" -d "$work/x"

mkdir -p "$OUT/left4dead2/addons" "$OUT/left4dead2/cfg"
so="$(find "$work/x" -type f -name 'tickrate_enabler.so' | head -n1)"
vdf="$(find "$work/x" -type f -name 'tickrate_enabler.vdf' | head -n1)"
if [ -z "$so" ]; then
	echo "tickrate_enabler.so not found in the release archive" >&2
	exit 1
fi
cp "$so" "$OUT/left4dead2/addons/tickrate_enabler.so"
if [ -n "$vdf" ]; then
	cp "$vdf" "$OUT/left4dead2/addons/tickrate_enabler.vdf"
else
	# The loader file srcds reads from addons/ to load a server plugin.
	printf '"Plugin"\n{\n\t"file"\t"addons/tickrate_enabler"\n}\n' >"$OUT/left4dead2/addons/tickrate_enabler.vdf"
fi

rate=$((TICKRATE * 1000))
cat >"$OUT/left4dead2/cfg/tickrate.cfg" <<CFG
// Written by the left4me tickrate layer for -tickrate $TICKRATE.
sv_minrate $rate
sv_maxrate $rate
sv_minupdaterate $TICKRATE
sv_maxupdaterate $TICKRATE
sv_mincmdrate $TICKRATE
sv_maxcmdrate $TICKRATE
sv_client_min_interp_ratio -1
sv_client_max_interp_ratio 0
net_splitpacket_maxrate $((rate / 2))
fps_max 0
nb_update_frequency 0.014
CFG
echo "tickrate layer ready: addons/tickrate_enabler.so, cfg/tickrate.cfg (rate $rate)"
