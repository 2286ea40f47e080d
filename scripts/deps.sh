#!/usr/bin/env bash
# Installs the Debian 12 packages Palisade needs, only those that are missing.
#   scripts/deps.sh build   compiler, libraries, test tools (make check, make demo)
# Exits non-zero with a message when a package is missing and cannot be installed
# (for example when not running as root).
set -euo pipefail
want=(make gcc clang pkg-config libc6-dev libyaml-dev libjansson-dev libcmocka-dev
	libclang-rt-14-dev jq iproute2 clang-format libnftables-dev nftables libmnl-dev
	libnftnl-dev libevent-dev ipset iprange libnetfilter-conntrack-dev libnetfilter-log-dev libpcap-dev
	tcpdump conntrack nmap libcurl4-openssl-dev nghttp2-client nghttp2-server python3)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages (${missing[*]}); run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
