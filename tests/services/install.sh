#!/usr/bin/env bash
# Installs the system services the test suite starts itself: Chromium (the web-chat widget's
# browser tests, driven by Playwright) and the PostgreSQL server (the shared-store tests).
#
# Idempotent and quiet when everything is present: a package is installed only when its program
# is missing, so a developer machine or a warm CI machine pays nothing. Debian packages only
# (apt-get); `playwright install` cannot download browsers here, the tests launch
# /usr/bin/chromium through Playwright's `executable_path`.
set -euo pipefail

need=()
if [ ! -x /usr/bin/chromium ]; then
    need+=(chromium)
fi
# pg_ctl is not on PATH in Debian's layout (/usr/lib/postgresql/<v>/bin); pg_config knows where.
if ! command -v pg_ctl >/dev/null 2>&1 \
    && ! { command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_ctl" ]; }; then
    need+=(postgresql)
fi

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "tests/services/install.sh: ${need[*]} missing and not root (no sudo); install them with apt-get" >&2
        exit 1
    fi
else
    SUDO=()
fi

echo "tests/services/install.sh: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
