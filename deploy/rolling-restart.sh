#!/usr/bin/env bash
# Restarts every node of a LAN, one at a time, without losing a post (docs/OPERATIONS.md "Rolling
# restart"):
#
#   deploy/rolling-restart.sh [--restart CMD] [--timeout SECONDS] URL [URL...]
#
# URL is each node's HTTP address (e.g. http://gva-1:8080), every node of the LAN. For each in turn:
#   1. wait until the LAN is whole: every URL answers /health 200 and shows the same view, with as many
#      members as the LAN has (lanSize of /api/v1/cluster);
#   2. drain the node (POST /api/v1/admin/drain): it refuses new work, tells its websocket subscribers
#      to reconnect elsewhere, leaves the view and exits 0;
#   3. wait until it no longer answers (it has exited);
#   4. run CMD to start it again (NODE_URL and NODE_INDEX, from 1, are in its environment), e.g.
#        --restart 'ssh "$(echo "$NODE_URL" | sed -E "s#https?://([^:/]+).*#\1#")" sudo systemctl start backplane'
#      Without --restart, a supervisor is expected to start it (Kubernetes restarts the container; a
#      systemd unit with Restart=always would). The node's HTTP port closes a moment before its process
#      has closed its store and exited: CMD must wait for the old process (systemctl start does);
#   5. wait until it serves again (/health 200, "serving":true: it has caught up by state transfer) and
#      the LAN is whole again, then go on with the next node.
# Exits 0 when every node was restarted; non-zero, naming the node and the step, as soon as one step
# fails or times out (the LAN is then left as it is, never with more than one node out).
#
# Needs bash and curl. Environment: CURL_OPTS (extra curl options, e.g. --cacert FILE).
set -euo pipefail

restart_cmd=""
timeout=180
urls=()
while (($#)); do
  case "$1" in
    --restart) restart_cmd="${2:?--restart needs a command}"; shift 2 ;;
    --timeout) timeout="${2:?--timeout needs seconds}"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "rolling-restart: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) urls+=("${1%/}"); shift ;;
  esac
done
if ((${#urls[@]} == 0)); then
  echo "rolling-restart: name every node's URL (see --help)" >&2
  exit 2
fi
if ! [[ "$timeout" =~ ^[0-9]+$ ]]; then
  echo "rolling-restart: --timeout must be whole seconds, was '$timeout'" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "rolling-restart: needs curl" >&2; exit 1; }

# shellcheck disable=SC2086 # CURL_OPTS is a word list by design
get() { curl -sS --max-time 3 ${CURL_OPTS:-} "$@" 2>/dev/null; }
log() { echo "rolling-restart: $(date -u +%H:%M:%S) $*"; }
fail() { echo "rolling-restart: $*" >&2; exit 1; }

# "VIEW_ID MEMBERS LANSIZE SERVING" of one node, from its /api/v1/cluster (compact JSON), or nothing.
view_of() {
  local body id members size serving
  body="$(get "$1/api/v1/cluster")" || return 0
  id="$(sed -n 's/.*"view":{"id":\([0-9]*\).*/\1/p' <<<"$body")"
  members="$(sed -n 's/.*"view":{"id":[0-9]*,"members":\[\([^]]*\)\].*/\1/p' <<<"$body" | tr -d '"')"
  size="$(sed -n 's/.*"lanSize":\([0-9]*\).*/\1/p' <<<"$body")"
  serving="$(sed -n 's/.*"serving":\(true\|false\).*/\1/p' <<<"$body")"
  [[ -n "$id" ]] && echo "$id ${members:-none} ${size:-${#urls[@]}} ${serving:-true}"
}

healthy() { [[ "$(get -o /dev/null -w '%{http_code}' "$1/health")" == 200 ]]; }

# True when every node serves and all show one view holding the whole LAN.
lan_whole() {
  local first="" v
  for u in "${urls[@]}"; do
    healthy "$u" || return 1
    v="$(view_of "$u")"
    [[ -n "$v" ]] || return 1
    read -r id members size serving <<<"$v"
    [[ "$serving" == true ]] || return 1
    (($(tr ',' '\n' <<<"$members" | grep -c .) == size)) || return 1
    if [[ -z "$first" ]]; then first="$id $members"; elif [[ "$first" != "$id $members" ]]; then return 1; fi
  done
}

wait_for() { # DESCRIPTION COMMAND...: polls COMMAND until it succeeds or the timeout passes
  local what="$1" deadline=$((SECONDS + timeout))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || fail "$what: not within ${timeout}s"
    sleep 0.5
  done
}

gone() { ! get -o /dev/null "$1/health"; }
back() { healthy "$1" && [[ "$(view_of "$1" | awk '{print $4}')" == true ]]; }

start=$SECONDS
wait_for "the LAN is whole before starting" lan_whole
log "LAN whole: ${#urls[@]} nodes"
for i in "${!urls[@]}"; do
  url="${urls[$i]}"
  t0=$SECONDS
  answer="$(get -X POST -w '\n%{http_code}' "$url/api/v1/admin/drain")" || fail "$url: drain request got no answer"
  [[ "${answer##*$'\n'}" == 202 ]] || fail "$url: drain answered ${answer##*$'\n'}: ${answer%$'\n'*}"
  log "$url draining"
  wait_for "$url exits after its drain" gone "$url"
  log "$url stopped after $((SECONDS - t0))s"
  if [[ -n "$restart_cmd" ]]; then
    NODE_URL="$url" NODE_INDEX=$((i + 1)) bash -c "$restart_cmd" || fail "$url: restart command failed ($restart_cmd)"
  fi
  wait_for "$url serves again" back "$url"
  wait_for "the LAN is whole again after restarting $url" lan_whole
  log "$url back and caught up, LAN whole, $((SECONDS - t0))s for this node"
done
log "done: ${#urls[@]} nodes restarted in $((SECONDS - start))s"
