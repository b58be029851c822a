#!/usr/bin/env bash
# Starts a real Prometheus on loopback (default 127.0.0.1:19090) for the tests and the demo.
# Targets are file-based: every $GRAYRELEASE_STATE/prometheus/targets/*.json is a file_sd list
# (the operator, the demo traffic simulator, test exporters add theirs there); recording rules
# are every $GRAYRELEASE_STATE/prometheus/rules/*.yml, read at start and on POST /-/reload.
# Idempotent.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
port=${PROMETHEUS_PORT:-19090}
dir=$GRAYRELEASE_STATE/prometheus
mkdir -p "$dir/targets" "$dir/rules" "$dir/data"
cat > "$dir/prometheus.yml" <<YAML
global:
  scrape_interval: ${PROMETHEUS_SCRAPE_INTERVAL:-1s}
  evaluation_interval: 5s
rule_files: ["$dir/rules/*.yml"]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:${port}"]}]
  - job_name: file
    file_sd_configs:
      - files: ["$dir/targets/*.json"]
        refresh_interval: 1s
YAML
url="http://127.0.0.1:${port}"
if ! is_running prometheus; then
  start_daemon prometheus prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/data" --storage.tsdb.retention.time=1d \
    --web.listen-address="127.0.0.1:${port}" --web.enable-lifecycle
fi
wait_for "Prometheus at $url" 60 curl -sf "$url/-/ready"
echo "prometheus ready at $url (targets: $dir/targets/*.json)"
