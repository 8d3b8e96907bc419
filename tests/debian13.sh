#!/bin/sh
# tests/debian13.sh (make check-debian13): the whole of make check on Debian 13
# (trixie: OpenSSL 3.5, libcbor 0.10, gcc 14) in a root made with debootstrap from
# Debian's packages, beside this Debian 12 machine's own run.
#
# The root is made once and kept (DEBIAN13_ROOT, default
# /var/cache/ceremony/debian13: outside the clone, so a fresh clone in CI finds it):
# debootstrap --variant=minbase, then the project's `make deps` inside it installs
# the packages the suite needs, as it does on a fresh machine. Each run copies the
# working tree's files (tracked and new, not ignored: what would be committed) into
# the root afresh and runs `make check` there with CI as outside. Needs root.
#
# usage: tests/debian13.sh [MAKE TARGET...]   (default: check)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
root=${DEBIAN13_ROOT:-/var/cache/ceremony/debian13}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "debian13: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || {
	echo "debian13: installing debootstrap"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

mounted=
umount_all() {
	for m in $mounted; do umount -l "${root}${m%/}" 2>/dev/null || true; done
	mounted=
}
trap umount_all EXIT
trap 'umount_all; exit 1' INT TERM
mount_all() {
	# The root a mount point of its own: unshare --mount (tools/offline) makes / private,
	# which a plain folder under chroot cannot be.
	mount --bind "$root" "$root"
	mounted=/
	for m in /proc /sys /dev /dev/pts /dev/shm; do
		mkdir -p "$root$m"
		case $m in
		/proc) mount -t proc proc "$root$m" ;;
		/dev/shm) mount -t tmpfs -o mode=1777 shm "$root$m" ;;
		*) mount --bind "$m" "$root$m" ;;
		esac
		mounted="$m $mounted"   # unmounted in reverse
	done
	cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# The root, once: .base when debootstrap finished, .ready when make deps did too (a
# root without .base is made again from nothing; one without .ready gets make deps).
if [ ! -e "$root/.base" ]; then
	rm -rf "$root.new"
	mkdir -p "$(dirname "$root")"
	echo "debian13: debootstrap trixie into $root (once; about 12 minutes)"
	debootstrap --variant=minbase --include=make,git,ca-certificates trixie "$root.new" "$mirror" >"$root.log" 2>&1 ||
		{ echo "debian13: debootstrap failed; see $root.log" >&2; tail -n 20 "$root.log" >&2; exit 1; }
	touch "$root.new/.base"
	rm -rf "$root"
	mv "$root.new" "$root"
fi
mount_all
mkdir -p "$root/src"
rm -rf "$root/src/ceremony"
mkdir "$root/src/ceremony"
(cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$root/src/ceremony"
# The revision the build prints (git describe inside would find no repository).
rev=$(cd "$src" && git rev-parse --short=12 HEAD)
if [ ! -e "$root/.ready" ]; then
	echo "debian13: the suite's packages (make deps inside the root, once)"
	chroot "$root" sh -c 'cd /src/ceremony && make deps' >>"$root.log" 2>&1 ||
		{ echo "debian13: make deps failed in the root; see $root.log" >&2; tail -n 20 "$root.log" >&2; exit 1; }
	touch "$root/.ready"
fi
echo "debian13: $(chroot "$root" sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), $(chroot "$root" openssl version), $(chroot "$root" gcc --version | head -n 1)"
[ $# -gt 0 ] || set -- check
chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	TERM="${TERM:-xterm}" CI="${CI:-}" LANG=C.UTF-8 \
	sh -c 'r=$1; shift; cd /src/ceremony && make REVISION="$r" "$@"' sh "$rev" "$@"
