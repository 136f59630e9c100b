#!/usr/bin/env bash
# Rebuild wheels/chainer-7.8.1+numpy2-py3-none-any.whl: Chainer 7.8.1's sdist from PyPI (checked
# by its SHA-256), the patch beside this script, pip's build with pinned tools and fixed file
# dates. Same bytes on every run (wheels/README.md gives the hash). Needs pip's access to PyPI.
#   wheels/build-chainer.sh            # or PYTHON=python3.12 wheels/build-chainer.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}
SDIST_SHA256=179f06176f8d7a42385bc7811956db04e68213cfe30f5081491b9e2b6ff70de8
WHEEL=chainer-7.8.1+numpy2-py3-none-any.whl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_CONSTRAINT="$here/build-constraints.txt" PIP_DISABLE_PIP_VERSION_CHECK=1
export SOURCE_DATE_EPOCH=315532800  # 1980-01-01: the zip entries' dates, so the bytes do not depend on today

"$PY" -m pip download -q --no-deps --no-binary :all: -d "$work" chainer==7.8.1
echo "$SDIST_SHA256  $work/chainer-7.8.1.tar.gz" | sha256sum -c --quiet -
tar -xzf "$work/chainer-7.8.1.tar.gz" -C "$work"
patch -d "$work/chainer-7.8.1" -p1 --quiet --no-backup-if-mismatch < "$here/chainer-7.8.1-numpy2.patch"
"$PY" -m pip wheel -q --no-deps -w "$work/dist" "$work/chainer-7.8.1"
cp "$work/dist/$WHEEL" "$here/$WHEEL"
sha256sum "$here/$WHEEL"
