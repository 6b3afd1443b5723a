# syntax=docker/dockerfile:1
#
# The OpenClaw gateway image with `provwatch follow` inside it: the static
# provwatch-follow binary (`provwatch follow` alone, without the AWS SDK: a
# few MB of memory) is copied from provwatch's own image (no Node build
# step), and the start script below runs it beside the gateway.
#
#   docker build -f configs/deploy/openclaw-follow.Dockerfile \
#     --build-arg OPENCLAW_IMAGE=<your gateway image> \
#     --build-arg PROVWATCH_IMAGE=<provwatch image built from this repository> \
#     -t openclaw-gateway:follow .
#
# The gateway image keeps its own user (serverless-openclaw runs as the
# non-root user `openclaw`, whose home holds .openclaw/openclaw.json):
# follow writes that file as that user.

ARG PROVWATCH_IMAGE=provwatch:latest
ARG OPENCLAW_IMAGE=openclaw-gateway:latest

FROM ${PROVWATCH_IMAGE} AS provwatch

FROM ${OPENCLAW_IMAGE}
COPY --from=provwatch /provwatch-follow /usr/local/bin/provwatch-follow
COPY --chmod=0755 configs/deploy/openclaw-start.sh /usr/local/bin/openclaw-start
# Where run/once publish the order, and the file the gateway reads; the
# task definition may override both.
ENV PROVWATCH_FOLLOW_FROM=ssm:/openclaw/model-order
ENTRYPOINT ["/usr/local/bin/openclaw-start"]
