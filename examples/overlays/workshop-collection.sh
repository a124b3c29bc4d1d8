#!/bin/bash
# id: workshop-collection
# name: Workshop collection
# description: Downloads every item of a Steam Workshop collection (and/or single items) into left4dead2/addons/workshop/.
# description: Edit COLLECTION_ID or ITEMS at the top of the script before building.
# incremental: yes
#
# Runs in the left4me build sandbox with the output directory at /overlay
# ($OVERLAY); as an incremental layer it starts from the previous
# generation and re-downloads only items whose size or update time changed.
# Uses the public Steam Web API (no key needed). Needs curl and jq.
set -euo pipefail

COLLECTION_ID="${COLLECTION_ID:-}" # e.g. 123456789
ITEMS="${ITEMS:-}"                 # space-separated item ids
API="${STEAM_API:-https://api.steampowered.com}"
OUT="${OVERLAY:-/overlay}"
DIR="$OUT/left4dead2/addons/workshop"

for tool in curl jq; do
	command -v "$tool" >/dev/null || { echo "$tool is not installed on the host" >&2; exit 1; }
done
if [ -z "$COLLECTION_ID" ] && [ -z "$ITEMS" ]; then
	echo "set COLLECTION_ID or ITEMS at the top of this layer's script" >&2
	exit 1
fi
for id in $COLLECTION_ID $ITEMS; do
	case "$id" in '' | *[!0-9]*) echo "not a workshop id: '$id'" >&2; exit 1 ;; esac
done
mkdir -p "$DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

ids="$ITEMS"
if [ -n "$COLLECTION_ID" ]; then
	echo "reading collection $COLLECTION_ID"
	curl --fail --silent --show-error --retry 3 --output "$work/collection.json" \
		--data "collectioncount=1&publishedfileids[0]=$COLLECTION_ID" \
		"$API/ISteamRemoteStorage/GetCollectionDetails/v1/"
	ids="$ids $(jq -r '.response.collectiondetails[0].children[]?.publishedfileid' "$work/collection.json" | tr '\n' ' ')"
fi
set -- $ids
[ "$#" -gt 0 ] || { echo "no items found" >&2; exit 1; }
echo "$# items"

form="itemcount=$#"
i=0
for id in "$@"; do
	form="$form&publishedfileids[$i]=$id"
	i=$((i + 1))
done
curl --fail --silent --show-error --retry 3 --output "$work/details.json" --data "$form" \
	"$API/ISteamRemoteStorage/GetPublishedFileDetails/v1/"

fails=0
keep=""
while IFS=$'\t' read -r id result banned size updated url title; do
	if [ "$result" != "1" ] || [ "$banned" = "1" ] || [ "$banned" = "true" ] || [ -z "$url" ]; then
		echo "item $id ($title): unavailable (result $result, banned $banned); skipped" >&2
		continue
	fi
	keep="$keep $id.vpk"
	stamp="$DIR/.$id.updated"
	if [ -f "$DIR/$id.vpk" ] && [ "$(stat -c %s "$DIR/$id.vpk")" = "$size" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$updated" ]; then
		echo "item $id ($title) is up to date"
		continue
	fi
	echo "downloading item $id ($title), $size bytes"
	if ! curl --fail --location --silent --show-error --retry 3 --output "$work/item.vpk" "$url"; then
		echo "download of item $id failed" >&2
		fails=$((fails + 1))
		continue
	fi
	if [ "$(stat -c %s "$work/item.vpk")" != "$size" ]; then
		echo "item $id: got $(stat -c %s "$work/item.vpk") bytes, expected $size" >&2
		fails=$((fails + 1))
		continue
	fi
	mv "$work/item.vpk" "$DIR/$id.vpk"
	echo "$updated" >"$stamp"
done < <(jq -r '.response.publishedfiledetails[] | [.publishedfileid, (.result|tostring), (.banned|tostring), (.file_size|tostring), (.time_updated|tostring), (.file_url // ""), (.title // "" | gsub("[\t\n]"; " "))] | @tsv' "$work/details.json")

# Items no longer in the list go away.
for f in "$DIR"/*.vpk; do
	[ -e "$f" ] || continue
	case " $keep " in *" $(basename "$f") "*) ;; *)
		echo "removing $(basename "$f") (no longer listed)"
		rm -f "$f" "$DIR/.$(basename "$f" .vpk).updated"
		;;
	esac
done
echo "workshop layer: $(echo $keep | wc -w) items, $fails failures"
[ "$fails" -eq 0 ]
