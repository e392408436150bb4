#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running wharf needs.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libssl-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libarchive-dev libzstd-dev
  # CloudFormation templates in YAML
  libyaml-cpp-dev
  # CloudWatch's smithy-rpc-v2-cbor protocol
  libcbor-dev
  # the thread_safety test: clang++ -Wthread-safety over the lock annotations
  clang
  # run and test
  etcd-server etcd-client awscli python3-boto3 curl jq procps
  # nodes: OCI runtime, Docker's seccomp profile, CNI, host networking
  runc golang-github-containers-common containernetworking-plugins iptables iproute2
  # security groups: the agent enforces them with one nftables table (docs/SECURITY_GROUPS.md)
  nftables
  # Application Auto Scaling's scheduled actions in time zones read /usr/share/zoneinfo
  tzdata
  tini
  # registry tests: real clients and images built without Docker Hub
  docker.io skopeo umoci busybox-static apache2-utils zstd
  # benchmark peers (dnsmasq: bench/dns_bench.py, beside the VPC resolver)
  docker-registry dnsmasq-base
  # benchmarks (iperf3: bench/eni_throughput_bench.py)
  wrk iperf3
  # the web console's tests: playwright-core drives Debian's chromium headless (never a
  # browser build of its own); fonts so that screenshots show text
  chromium fonts-liberation
)
# The web console (web/) is built with the machine's Node.js and npm (Vite 8 needs Node.js
# 20.19 or newer); Debian's own nodejs (18) only where there is none at all.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (it calls apt-get)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
