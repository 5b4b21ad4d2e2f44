#!/usr/bin/env bash
# Runs the whole SendApi test suite: the one command for a fresh Debian 12 machine with the
# .NET 10 SDK. Installs the real third-party servers and clients the end-to-end tests use
# (redis-server and redis-sentinel, dnsmasq, Postfix and its smtp-sink, swaks with TLS, aiosmtpd, python3-dkim, prometheus,
# docker-compose for checking the compose file, chromium and puppeteer-core, the Resend, Postmark and SendGrid npm SDKs) when missing or lacking a capability, as root or via sudo.
# Extra arguments are passed to `dotnet test`, e.g.  tests/run.sh --filter "FullyQualifiedName~Infrastructure"
set -euo pipefail

cd "$(dirname "$0")/.."

have() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

# Each peer is checked for what the tests ask of it, not only for its binary: a swaks installed
# without recommends has no TLS (it needs Net::SSLeay and IO::Socket::SSL), a python3 may lack the
# aiosmtpd module, and a chromium binary is no use to the page tests without puppeteer-core.
packages=()
have redis-server || packages+=(redis-server)
# The failover test runs a primary, a replica and a sentinel (Debian ships redis-sentinel apart).
have redis-sentinel || packages+=(redis-sentinel)
have dnsmasq || packages+=(dnsmasq-base)
have smtp-sink && have postfix || packages+=(postfix)
have swaks || packages+=(swaks)
if ! perl -MNet::SSLeay -MIO::Socket::SSL -e 1 >/dev/null 2>&1 \
    || ! { have swaks && swaks --support 2>&1 | grep -q '^=== TLS supported'; }; then
    packages+=(libnet-ssleay-perl libio-socket-ssl-perl)
fi
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    packages+=(python3-aiosmtpd)
fi
# The template tests check DKIM signatures with an independent verifier, Debian's dkimpy.
if ! /usr/bin/python3 -c 'import dkim, dns.resolver' >/dev/null 2>&1; then
    packages+=(python3-dkim)
fi
# The metrics test scrapes the application with a real Prometheus server.
[ -x /usr/bin/prometheus ] || packages+=(prometheus)
# The compose file is checked with Debian's compose client (`config` needs no Docker daemon) and
# read back through PyYAML.
if ! docker-compose version >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import yaml' >/dev/null 2>&1; then
    packages+=(docker-compose python3-yaml)
fi
if ! chromium --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1; then
    packages+=(chromium)
fi
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' >/dev/null 2>&1 \
    || ! have npm; then
    packages+=(nodejs npm)
fi

if [ "${#packages[@]}" -gt 0 ]; then
    echo "run.sh: installing test peers: ${packages[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "run.sh: need root (or sudo) to install: ${packages[*]}" >&2
        exit 1
    fi

    # Postfix is installed for smtp-sink and for the DSN test, which starts its own instance in a temp
    # directory: the system instance gets "No configuration" and is never started or changed.
    printf '%s\n' \
        "postfix postfix/main_mailer_type select No configuration" \
        "postfix postfix/mailname string localhost" \
        | "${sudo[@]}" debconf-set-selections

    # Keep the packages' own daemons (redis on 6379, sentinel on 26379, prometheus on 9090, ...) from being started by the install, unless
    # the machine already has a policy of its own. The tests start their own instances on free ports.
    policy=/usr/sbin/policy-rc.d
    created_policy=false
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        created_policy=true
        trap 'if [ "$created_policy" = true ]; then "${sudo[@]}" rm -f "$policy"; fi' EXIT
    fi

    "${sudo[@]}" apt-get update
    # dnsmasq-base is the dnsmasq binary without the system DNS service (which would listen on
    # port 53 and could rewrite resolv.conf).
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

    if [ "$created_policy" = true ]; then
        "${sudo[@]}" rm -f "$policy"
        created_policy=false
    fi

    # Fail here, with the reason, rather than in a test that would only say "TLS not available".
    swaks --support 2>&1 | grep -q '^=== TLS supported' || { echo "run.sh: swaks still has no TLS" >&2; exit 1; }
fi

# puppeteer-core drives Debian's chromium in the page tests; it never downloads a browser.
if ! (cd tests/browser && node -e "require('puppeteer-core')") >/dev/null 2>&1; then
    echo "run.sh: installing puppeteer-core (tests/browser)"
    (cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# The hosted providers' official SDKs (resend, postmark, @sendgrid/mail), unmodified, are the
# compatibility routes' clients. Installed from the lockfile when missing or not the locked versions.
if ! (cd tests/compat-sdks && npm ls --offline --depth=0 >/dev/null 2>&1 \
    && node -e "require('postmark'); require('@sendgrid/mail'); import('resend').then(() => {}, () => process.exit(1))") >/dev/null 2>&1; then
    echo "run.sh: installing the providers' SDKs (tests/compat-sdks)"
    (cd tests/compat-sdks && npm ci --no-audit --no-fund)
fi

if ! command -v dotnet >/dev/null 2>&1; then
    echo "run.sh: the .NET 10 SDK ('dotnet') is not on PATH" >&2
    exit 1
fi

log="$(mktemp -t sendapi-test.XXXXXX.log)"
set +e
dotnet test SendApi.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The last lines are what a CI page shows: repeat each failed test with its message there.
if [ "$status" -ne 0 ]; then
    awk '
        /^  Failed [^ ]/ { show = !seen[$2]++; n = 0; if (show) print ""; }
        show && /^  (Passed|Skipped) / { show = 0 }
        show && n < 14 { print; n++ }
    ' "$log"
    # A test host that crashes or a project that fails to build leaves no "Failed" line: show why.
    grep -E 'Test Run Aborted|The active test run was aborted|Test host process crashed|error [A-Z]+[0-9]+:|Build FAILED|Unhandled exception' "$log" \
        | sort -u | head -n 20 || true
    grep -E -A 12 'The active test run was aborted|Test host process crashed|Unhandled exception' "$log" | head -n 40 || true
fi

# One summary line over all test assemblies. vstest prints, per assembly, either
#   "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..." (minimal verbosity) or a block
#   "Total tests: 12" / "     Passed: 12" / "     Failed: 1" / "    Skipped: 1" / " Total time: ..." (normal);
# the sums are printed only when they add up to the totals.
awk '
    /^(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+, +Total: +[0-9]+/ {
        line = $0; gsub(/[^0-9]+/, " ", line); split(line, n, " ")
        af += n[1]; ap += n[2]; as += n[3]; at += n[4]; a = 1; next
    }
    /^Total tests: +[0-9]+ *$/ { bt += $3; open++; b = 1; next }
    open > 0 && /^ +Passed: +[0-9]+ *$/ { bp += $2; next }
    open > 0 && /^ +Failed: +[0-9]+ *$/ { bf += $2; next }
    open > 0 && /^ +Skipped: +[0-9]+ *$/ { bs += $2; next }
    /^ +Total time: / { if (open > 0) open--; next }
    END {
        if (a) { p = ap; f = af; s = as; t = at } else if (b) { p = bp; f = bf; s = bs; t = bt } else exit
        if (p + f + s == t) printf "%d passed, %d failed, %d skipped\n", p, f, s
    }
' "$log"

rm -f "$log"

exit "$status"
