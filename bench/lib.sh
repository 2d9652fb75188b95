# Shared by bench/run.sh and bench/scaling.sh (sourced; both set $WORK):
# the configs of the processes they measure, and CPU ticks per thread.

# nginx_conf PORT WORKERS: $WORK/nginx.conf, a static 200 on 127.0.0.1:PORT
# (the HTTP ceiling, and the sink the daemon's rule delivers to).
nginx_conf() {
  mkdir -p "$WORK/nginx"
  cat > "$WORK/nginx.conf" <<NGINX
worker_processes $2;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx; uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$1;
    location / { default_type application/json; return 200 '{"status":"accepted"}'; }
  }
}
NGINX
}

# daemon_config PORT DB SINK_URL [RULES_FILE]: the daemon's config on stdout;
# its rule matches every event; RULES_FILE's rules (not matching) go first.
# IO_THREADS (default 2) and BENCH_CONCURRENCY (delivery.concurrency, default 8).
daemon_config() {
  cat <<YAML
server:
  listen: 127.0.0.1:$1
  io_threads: ${IO_THREADS:-2}
store:
  path: $WORK/$2
delivery:
  concurrency: ${BENCH_CONCURRENCY:-8}
log:
  level: warn
webhooks:
  - name: bench
    secret: bench-secret
rules:
YAML
  [ -n "${4:-}" ] && cat "$4"
  cat <<YAML
  - name: forward-completed-uploads
    when: { event: buildUploadStateUpdated, to: COMPLETE }
    actions:
      - http: { url: "$3" }
YAML
}

# adnanh_hooks: $WORK/hooks.json, adnanh/webhook's HMAC-SHA256 rule running /bin/true.
adnanh_hooks() {
  cat > "$WORK/hooks.json" <<JSON
[{"id": "bench", "execute-command": "/bin/true", "response-message": "accepted",
  "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": "bench-secret",
                             "parameter": {"source": "header", "name": "X-Hub-Signature-256"}}}}]
JSON
}

# CPU ticks per thread name (the daemon names its threads; the main thread,
# which also runs the io_context, keeps the program's name).
thread_ticks() { for t in /proc/"$1"/task/*; do echo "$(cat "$t/comm") $(awk '{ print $14 + $15 }' "$t/stat")"; done; }

# nginx_proxy_conf PORT UPSTREAM_PORT...: $WORK/proxy.conf, nginx on
# 127.0.0.1:PORT passing every request round robin to the daemons on the
# upstream ports over keep-alive connections (several replicas behind it).
nginx_proxy_conf() {
  local port=$1; shift
  mkdir -p "$WORK/proxy"
  {
    echo "worker_processes 1; pid $WORK/proxy.pid; error_log $WORK/proxy/error.log;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; client_body_temp_path $WORK/proxy; proxy_temp_path $WORK/proxy;"
    echo "  fastcgi_temp_path $WORK/proxy; uwsgi_temp_path $WORK/proxy; scgi_temp_path $WORK/proxy;"
    echo "  keepalive_requests 10000000;"
    echo "  upstream replicas {"
    for p in "$@"; do echo "    server 127.0.0.1:$p;"; done
    echo "    keepalive 64;"
    echo "  }"
    echo "  server { listen 127.0.0.1:$port; location / { proxy_pass http://replicas;"
    echo "    proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"
    echo "}"
  } > "$WORK/proxy.conf"
}
