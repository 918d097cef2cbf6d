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
# The PostgreSQL server's initdb and pg_ctl (tests/support/postgres.py looks in the same
# places). Debian keeps them off PATH, in /usr/lib/postgresql/<version>/bin; pg_config comes
# with libpq-dev, not with the server, so it may be missing where the server is installed.
have_postgres() {
    local dir
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            return 0
        fi
    fi
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            return 0
        fi
    done
    return 1
}
if ! have_postgres; then
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
# The tests make their own throwaway clusters: tell the package not to create (and start) the
# system-wide "main" cluster on port 5432 while it installs (the setting is removed after).
dropin=/etc/postgresql-common/createcluster.d/specagent-tests.conf
if [[ " ${need[*]} " == *" postgresql "* ]] && [ ! -e "$dropin" ]; then
    "${SUDO[@]}" mkdir -p "$(dirname "$dropin")"
    echo "create_main_cluster = false" | "${SUDO[@]}" tee "$dropin" >/dev/null
    trap '"${SUDO[@]}" rm -f "$dropin"' EXIT
fi
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
if [[ " ${need[*]} " == *" postgresql "* ]] && ! have_postgres; then
    echo "tests/services/install.sh: postgresql installed but initdb/pg_ctl not found" >&2
    exit 1
fi
