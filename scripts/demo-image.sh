#!/usr/bin/env bash
# Builds a small web image without Docker Hub (busybox-static in an OCI layout, with umoci)
# and pushes it to a wharf registry with skopeo: scripts/demo-image.sh ENDPOINT REPO TAG [PORT]
# The image's httpd answers on PORT (default 8080) with / and /alive. Prints the image's ECR URI.
set -euo pipefail
ENDPOINT=$1 REPO=$2 TAG=$3 PORT=${4:-8080}
HOSTPORT=${ENDPOINT#http://}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/layout" >/dev/null
umoci new --image "$work/layout:$TAG" >/dev/null
umoci unpack --image "$work/layout:$TAG" "$work/bundle" >/dev/null
rootfs="$work/bundle/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/www"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh httpd echo cat wget sleep; do ln -s busybox "$rootfs/bin/$applet"; done
echo "hello from a wharf task" > "$rootfs/www/index.html"
echo "alive" > "$rootfs/www/alive"
umoci repack --image "$work/layout:$TAG" "$work/bundle" >/dev/null
umoci config --image "$work/layout:$TAG" --config.entrypoint /bin/sh --config.entrypoint -c \
  --config.cmd "httpd -f -p $PORT -h /www" >/dev/null
aws_() { aws --endpoint-url "$ENDPOINT" --region us-east-1 "$@"; }
aws_ ecr describe-repositories --repository-names "$REPO" >/dev/null 2>&1 ||
  aws_ ecr create-repository --repository-name "$REPO" >/dev/null
password=$(aws_ ecr get-login-password)
home=$(mktemp -d)
XDG_DATA_HOME=$home XDG_RUNTIME_DIR=$home _CONTAINERS_ROOTLESS_UID=1000 REGISTRY_AUTH_FILE=$home/auth.json \
  skopeo --insecure-policy copy --quiet --dest-tls-verify=false --dest-creds "AWS:$password" \
  "oci:$work/layout:$TAG" "docker://$HOSTPORT/$REPO:$TAG"
rm -rf "$home"
account=$(aws_ sts get-caller-identity --query Account --output text)
echo "$account.dkr.ecr.us-east-1.amazonaws.com/$REPO:$TAG"
