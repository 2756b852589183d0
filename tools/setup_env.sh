#!/usr/bin/env bash
# Makes a virtual environment able to run Odoo 18.0 with the addon, for a machine that has
# PostgreSQL and Python 3.11+ but no Odoo:
#   setup_env.sh <venv folder> [ODOO_SRC]
# ODOO_SRC is an Odoo 18.0 source folder, a tarball of one (.tar.gz, .tgz, .tar), or an address
# of such a tarball; by default Odoo's official 18.0 nightly source archive.
set -euo pipefail
VENV=$1
ODOO_SRC=${2:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${BASE_PYTHON:-python3}

"$HERE/system_packages.sh"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
VPY="$VENV/bin/python"
SITE=$("$VPY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")

FIND_ODOO="import importlib.util, os; s = importlib.util.find_spec('odoo'); print(os.path.dirname(os.path.dirname(s.origin)))"
if ! "$VPY" -c "$FIND_ODOO" >/dev/null 2>&1; then
    DEST="$VENV/src/odoo"
    rm -rf "$DEST" && mkdir -p "$DEST"
    case "$ODOO_SRC" in
        http://*|https://*)
            echo "Downloading Odoo 18.0 from $ODOO_SRC"
            curl -fL --retry 3 "$ODOO_SRC" | tar -xz -C "$DEST" --strip-components=1 ;;
        *.tar.gz|*.tgz) tar -xzf "$ODOO_SRC" -C "$DEST" ;;
        *.tar) tar -xf "$ODOO_SRC" -C "$DEST" ;;
        *)
            [ -f "$ODOO_SRC/odoo/release.py" ] || { echo "ODOO_SRC=$ODOO_SRC is not an Odoo source folder" >&2; exit 1; }
            cp -a "$ODOO_SRC/." "$DEST/" ;;
    esac
    # A tarball may hold the source one folder down (odoo-18.0/odoo/release.py).
    if [ ! -f "$DEST/odoo/release.py" ]; then
        inner=$(dirname "$(dirname "$(find "$DEST" -maxdepth 3 -path '*/odoo/release.py' | head -1)")")
        [ -n "$inner" ] && [ "$inner" != "." ] || { echo "No Odoo source found in $ODOO_SRC" >&2; exit 1; }
        shopt -s dotglob && mv "$inner"/* "$DEST"/ && rmdir "$inner" 2>/dev/null || true
    fi
    grep -q "18, 0" "$DEST/odoo/release.py" || { echo "ODOO_SRC is not Odoo 18.0" >&2; exit 1; }
    echo "$DEST" > "$SITE/odoo-src.pth"
fi

# Odoo's own requirements, with the pins that clash replaced (see odoo-requirements-overrides.txt).
overridden=$(grep -vE '^\s*(#|$)' "$HERE/odoo-requirements-overrides.txt" | sed -E 's/[<>=~ ;].*//' | tr '\n' '|')
SRC_DIR=$("$VPY" -c "$FIND_ODOO")
grep -viE "^(${overridden}python-ldap)\b" "$SRC_DIR/requirements.txt" > "$VENV/odoo-requirements.txt"
CONSTRAINT="$VENV/build-constraints.txt"
echo "setuptools<81" > "$CONSTRAINT"
# pip < 25.3 applies PIP_CONSTRAINT to build environments, newer pips PIP_BUILD_CONSTRAINT.
export PIP_CONSTRAINT="$CONSTRAINT" PIP_BUILD_CONSTRAINT="$CONSTRAINT"
"$VPY" -m pip install -q --upgrade "pip>=24" wheel "setuptools<81"
"$VPY" -m pip install -q -r "$VENV/odoo-requirements.txt" -r "$HERE/odoo-requirements-overrides.txt" \
    -r "$HERE/../requirements.txt" -r "$HERE/../requirements-dev.txt"
"$VPY" -c "import odoo, pyhanko; print('Odoo', odoo.release.version, 'ready in', '$VENV')"
