#!/bin/bash
# id: l4d2center-maps
# name: l4d2center map pack
# description: Custom campaigns from the l4d2center.com map index (CSV with MD5 sums, 7z archives) in left4dead2/addons/.
# description: Incremental: each build starts from the previous generation and downloads only new or changed maps.
# incremental: yes
#
# Runs in the left4me build sandbox with the output directory at /overlay
# ($OVERLAY); as an incremental layer the directory already holds the
# previous generation's files. Needs curl, md5sum and 7z (p7zip).
#
# The full index is tens of gigabytes. Set MAPS to a space-separated list of
# .vpk names to sync only those (empty: every map in the index).
set -euo pipefail

INDEX_URL="${INDEX_URL:-https://l4d2center.com/maps/servers/index.csv}"
MAPS="${MAPS:-}"
OUT="${OVERLAY:-/overlay}"
ADDONS="$OUT/left4dead2/addons"
STATE="$ADDONS/l4d2center-maps.txt" # the .vpk files this layer manages

for tool in curl md5sum 7z; do
	command -v "$tool" >/dev/null || { echo "$tool is not installed on the host" >&2; exit 1; }
done
mkdir -p "$ADDONS"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "downloading the index $INDEX_URL"
curl --fail --location --silent --show-error --retry 3 --output "$work/index.csv" "$INDEX_URL"

declare -A md5 link
# Name;Size;MD5;DownloadLink, with a header line.
while IFS=';' read -r name size sum url || [ -n "$name" ]; do
	name="$(echo "$name" | tr -d '\r' | xargs)"
	sum="$(echo "$sum" | tr -d '\r' | xargs)"
	url="$(echo "$url" | tr -d '\r' | xargs)"
	[ -n "$name" ] && [ -n "$url" ] || continue
	case "$name" in */* | .*) echo "skipping suspicious name '$name'"; continue ;; esac
	if [ -n "$MAPS" ] && [[ " $MAPS " != *" $name "* ]]; then
		continue
	fi
	md5["$name"]="$sum"
	link["$name"]="$url"
done < <(tail -n +2 "$work/index.csv")
echo "${#md5[@]} maps wanted"

# Remove maps this layer added before that are gone from the index.
if [ -f "$STATE" ]; then
	while read -r old; do
		if [ -n "$old" ] && [ -z "${md5[$old]+x}" ] && [ -f "$ADDONS/$old" ]; then
			echo "removing $old (no longer wanted)"
			rm -f "$ADDONS/$old"
		fi
	done <"$STATE"
fi

n=0
fails=0
for name in "${!md5[@]}"; do
	n=$((n + 1))
	if [ -f "$ADDONS/$name" ] && [ "$(md5sum "$ADDONS/$name" | cut -d' ' -f1)" = "${md5[$name]}" ]; then
		echo "[$n/${#md5[@]}] $name is up to date"
		continue
	fi
	echo "[$n/${#md5[@]}] downloading $name"
	rm -f "$ADDONS/$name"
	url="${link[$name]// /%20}"
	if ! curl --fail --location --silent --show-error --retry 3 --output "$work/map.7z" "$url"; then
		echo "download of $name failed" >&2
		fails=$((fails + 1))
		continue
	fi
	rm -rf "$work/x"
	mkdir "$work/x"
	if ! 7z x -y -bd -o"$work/x" "$work/map.7z" >/dev/null; then
		echo "cannot unpack $name" >&2
		fails=$((fails + 1))
		continue
	fi
	got="$(find "$work/x" -type f -name "$name" | head -n1)"
	if [ -z "$got" ] || [ "$(md5sum "$got" | cut -d' ' -f1)" != "${md5[$name]}" ]; then
		echo "$name: missing from its archive or wrong MD5" >&2
		fails=$((fails + 1))
		continue
	fi
	mv "$got" "$ADDONS/$name"
	rm -f "$work/map.7z"
done
printf '%s\n' "${!md5[@]}" | sort >"$STATE"
echo "map pack synced: ${#md5[@]} maps, $fails failures"
[ "$fails" -eq 0 ]
