#!/usr/bin/env bash
# Install the Debian packages tocsin needs: with --run only what running it needs (`make run`),
# without it what the tests need too (`make test`). Packages go in --no-install-recommends,
# so each one the tests use is named here, even a library a minimal image lacks.
#
# Idempotent and fast: when every requirement is already present it touches
# neither apt nor the network. To add a requirement, add one `require` line:
# the package name and a shell command that succeeds when it is installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PACKAGES=()
CHECKS=()

# require PACKAGE CHECK-COMMAND
require() {
    PACKAGES+=("$1")
    CHECKS+=("$2")
}

# `python3 -m venv` needs ensurepip, which Debian's own python3 splits out.
require python3-venv 'python3 -c "import ensurepip, venv"'
# `--run`: only what running Tocsin needs (`make run`); the rest is for the tests.
if [ "${1:-}" != "--run" ]; then
    # PostgreSQL server binaries: the test suite starts throwaway servers.
    require postgresql 'ls /usr/lib/postgresql/*/bin/initdb'
    # Chromium for the browser tests (Playwright drives /usr/bin/chromium).
    require chromium 'command -v chromium'
    # Playwright's driver is a Node.js binary linked against libatomic.so.1, which minimal
    # Debian images lack (its other libraries, libstdc++6 and libgcc-s1, come with apt).
    require libatomic1 'dpkg-query -W -f "\${Status}" libatomic1 | grep -q "ok installed"'
    # The real Alertmanager that sends its webhook to Tocsin in the tests.
    require prometheus-alertmanager 'command -v prometheus-alertmanager'
fi

missing=()
for i in "${!PACKAGES[@]}"; do
    if ! (eval "${CHECKS[$i]}") >/dev/null 2>&1; then
        missing+=("${PACKAGES[$i]}")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-system-deps: all present (${PACKAGES[*]})"
    exit 0
fi

echo "install-system-deps: installing ${missing[*]}"

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo --preserve-env=DEBIAN_FRONTEND)
else
    echo "install-system-deps: not root and no sudo; as root, run:" >&2
    echo "    apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

# Make sure what we just installed now passes its check.
for i in "${!PACKAGES[@]}"; do
    if ! (eval "${CHECKS[$i]}") >/dev/null 2>&1; then
        echo "install-system-deps: ${PACKAGES[$i]} still missing after install" \
            "(check failed: ${CHECKS[$i]})" >&2
        exit 1
    fi
done
