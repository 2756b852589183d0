#!/usr/bin/env bash
# Installs, with apt-get, the system programs the addon and its tests use and that are missing:
# wkhtmltopdf (QWeb PDFs), chromium (browser tours), poppler-utils (pdfsig, pdftoppm), fonts, and
# the real-world PDFs of the tests (Debian's libtasn1-doc and shared-mime-info manuals).
set -euo pipefail
need=()
command -v wkhtmltopdf >/dev/null || need+=(wkhtmltopdf)
command -v chromium >/dev/null || need+=(chromium)
command -v pdfsig >/dev/null || need+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -f /usr/share/doc/libtasn1-doc/libtasn1.pdf ] || need+=(libtasn1-doc)
[ -f /usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf ] || need+=(shared-mime-info)
command -v pg_config >/dev/null || need+=(libpq-dev)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
