#!/bin/sh
# Start script of the OpenClaw gateway container with provwatch-follow
# (`provwatch follow` alone; docs/follow.md). Any step of your own that
# writes agents.defaults.model (serverless-openclaw's patch-config.js, for
# instance) runs first, so the published order is applied over it, not the
# other way round.
#
#   OPENCLAW_PRESTART   a command to run first (optional)
#   PROVWATCH_FOLLOW_FROM  where the order is published (ssm:/… or file:/…)
#   OPENCLAW_CONFIG_PATH   the gateway's config (default ~/.openclaw/openclaw.json)
#
# Arguments are the gateway's: openclaw-start --port 18789 --bind loopback
set -eu

config="${OPENCLAW_CONFIG_PATH:-$HOME/.openclaw/openclaw.json}"
export PROVWATCH_FOLLOW_INTO="openclaw:$config"

# 1. Your own start-up steps, which may write the config.
if [ -n "${OPENCLAW_PRESTART:-}" ]; then
  sh -c "$OPENCLAW_PRESTART"
fi

# 2. The order as published now, before the gateway reads the file. A
#    failure is not fatal: the gateway starts with the chain it has, and
#    the follower below keeps trying.
provwatch-follow --once || echo "openclaw-start: provwatch-follow --once exited $?; starting with the configured chain" >&2

# 3. Keep following while the gateway runs: OpenClaw applies a change to
#    agents.defaults.model within a second (gateway.reload.mode hybrid, its
#    default). Its writes are atomic, so it needs no graceful stop.
provwatch-follow &

# 4. The gateway, in the foreground.
exec openclaw gateway run "$@"
