#!/usr/bin/env bash
# Web load benchmark: 50 concurrent clients (wrk, 2 threads, loopback) against a running
# `strata serve` for the customer list API (a province filter, sorted by name, random page
# 1–20), the list page, the customer page of random customers and the dashboard. Prints
# wrk's latency distribution for each. The data directory must hold the demo dataset
# (`strata demo --size 1000000 --no-serve`); an API token for admin is created for the run.
#
# usage: bench/web-load.sh DATA_DIR [URL] [SECONDS]   (default URL http://127.0.0.1:8799, 20 s)
set -euo pipefail
data=${1:?data directory of the store the server serves}
url=${2:-http://127.0.0.1:8799}
secs=${3:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA_BIN:-$here/target/release/strata}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
curl -sf "$url/health" >/dev/null || { echo "no server at $url (start: strata --data-dir $data serve --bind ${url#http://})" >&2; exit 1; }
token=$("$strata" --data-dir "$data" token create --name web-load admin 2>/dev/null | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/list.lua" <<LUA
request = function()
  wrk.headers["Authorization"] = "Bearer $token"
  return wrk.format("GET", "/api/v1/customers?province=%E5%B9%BF%E4%B8%9C%E7%9C%81&sort=name&page=" .. math.random(1, 20))
end
LUA
sed 's|/api/v1/customers?|/customers?|' "$work/list.lua" >"$work/list_page.lua"
cat >"$work/customer.lua" <<LUA
request = function()
  wrk.headers["Authorization"] = "Bearer $token"
  return wrk.format("GET", "/customers/" .. math.random(1, 1000000))
end
LUA
cat >"$work/dashboard.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
# The engine loads on the first request that needs it; the dashboard's first figures follow.
until curl -sf -H "Authorization: Bearer $token" "$url/api/v1/engine" | grep -q '"ready"'; do sleep 5; done
curl -sf -o /dev/null -H "Authorization: Bearer $token" "$url/dashboard"
for run in list:/ list_page:/ customer:/ dashboard:/dashboard; do
    name=${run%%:*}
    echo "== $name"
    wrk -t2 -c50 -d"${secs}s" --latency -s "$work/$name.lua" "$url${run#*:}" | sed -n '/Thread Stats/,$p'
done
