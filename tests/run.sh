#!/usr/bin/env bash
# Runs the whole SendApi test suite: the one command for a fresh Debian 12 machine with the
# .NET 10 SDK. Installs the real third-party servers the end-to-end tests start (redis-server,
# dnsmasq, Postfix's smtp-sink, swaks, aiosmtpd) when missing, as root or via sudo.
# Extra arguments are passed to `dotnet test`, e.g.  tests/run.sh --filter "FullyQualifiedName~Infrastructure"
set -euo pipefail

cd "$(dirname "$0")/.."

have() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing=()
have redis-server || missing+=(redis-server)
have dnsmasq || missing+=(dnsmasq)
have smtp-sink || missing+=(smtp-sink)
have swaks || missing+=(swaks)
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    missing+=(aiosmtpd)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "run.sh: installing test peers (missing: ${missing[*]})"
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "run.sh: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi

    # Postfix is installed for smtp-sink and for the DSN test, which starts its own instance in a temp
    # directory: the system instance gets "No configuration" and is never started or changed.
    printf '%s\n' \
        "postfix postfix/main_mailer_type select No configuration" \
        "postfix postfix/mailname string localhost" \
        | "${sudo[@]}" debconf-set-selections

    # Keep the packages' own daemons (redis on 6379, ...) from being started by the install, unless
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
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        redis-server dnsmasq-base postfix swaks python3-aiosmtpd

    if [ "$created_policy" = true ]; then
        "${sudo[@]}" rm -f "$policy"
        created_policy=false
    fi
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
