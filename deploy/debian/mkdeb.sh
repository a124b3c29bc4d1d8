#!/bin/sh
# mkdeb.sh STAGE VERSION OUT: turns what "make install DESTDIR=STAGE" wrote
# into the Debian package OUT (make deb runs it; deploy/debian/README.md).
# It adds the documentation, the man pages generated from the command table,
# the lintian overrides and the control files, then runs dpkg-deb.
set -eu

stage=$1
version=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
GO=${GO:-go}

# Reproducible: every date is the commit's.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct)}
export SOURCE_DATE_EPOCH
maintainer=${DEB_MAINTAINER:-$(git -C "$repo" log -1 --format='%an <%ae>')}
commit=$(git -C "$repo" rev-parse --short=12 HEAD)

doc=$stage/usr/share/doc/left4me
man=$stage/usr/share/man/man1
install -d -m 0755 "$doc/docs" "$man" "$stage/usr/share/lintian/overrides" "$stage/DEBIAN"

# Documentation, compressed as dh_compress does (files over 4 KiB; never
# the copyright file).
install -m 0644 "$repo/README.md" "$repo/SECURITY.md" "$doc/"
install -m 0644 "$repo"/docs/*.md "$doc/docs/"
install -m 0644 "$here/copyright" "$doc/copyright"
date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf 'left4me (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
	"$version" "$commit" "$maintainer" "$date" >"$doc/changelog.Debian"
find "$doc" -type f ! -name copyright -size +4k -exec gzip -9n {} +
gzip -9n "$doc/changelog.Debian"

# Man pages: left4me(1) and one per command, from the command table.
pages=$(mktemp -d)
trap 'rm -rf "$pages"' EXIT
(cd "$repo" && "$GO" test -count=1 -run '^TestManPages$' ./cmd/left4me -args -man-dir "$pages" -man-version "$version" >/dev/null)
for p in "$pages"/*.1; do
	install -m 0644 "$p" "$man/"
done
gzip -9n "$man"/*.1

install -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/left4me"

# Control files. Everything under /etc is a conffile.
(cd "$stage" && find etc -type f | sort | sed 's|^|/|') >"$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$stage/DEBIAN/$s"
done
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$size|" \
	"$here/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort | xargs md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
