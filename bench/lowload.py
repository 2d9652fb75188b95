#!/usr/bin/env python3
"""Low load, as a user feels it: one keep-alive connection posting pre-signed
events at a steady rate into the daemon, whose rule forwards each event to
the sink this script runs. Reports the ack latency (POST sent -> 200 read)
and the event -> action latency (POST sent -> the sink has the forwarded
body), p50 and p99.

usage: lowload.py EVENTS_TSV DAEMON_PORT SINK_PORT RATE SECONDS
"""
import http.client
import http.server
import json
import sys
import threading
import time

events_tsv, daemon_port, sink_port, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
arrived = {}
lock = threading.Lock()


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.perf_counter()
        try:
            event_id = json.loads(body)["data"]["id"]
        except (ValueError, KeyError, TypeError):
            event_id = None
        with lock:
            arrived.setdefault(event_id, now)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", sink_port), Sink)
threading.Thread(target=server.serve_forever, daemon=True).start()

events = []
with open(events_tsv) as f:
    for line in f:
        sig, body = line.rstrip("\n").split("\t", 1)
        events.append((sig, body, json.loads(body)["data"]["id"]))
        if len(events) >= rate * seconds:
            break

conn = http.client.HTTPConnection("127.0.0.1", daemon_port)
sent, acks = {}, []
start = time.perf_counter()
for n, (sig, body, event_id) in enumerate(events):
    due = start + n / rate
    pause = due - time.perf_counter()
    if pause > 0:
        time.sleep(pause)
    t0 = time.perf_counter()
    sent[event_id] = t0
    conn.request("POST", "/webhooks/bench", body, {"x-apple-signature": sig, "Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    acks.append(time.perf_counter() - t0)
    if resp.status != 200:
        print(f"BENCH_LOWLOAD error: status {resp.status}", file=sys.stderr)
time.sleep(2)
server.shutdown()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000 if values else float("nan")


e2e = [arrived[i] - t for i, t in sent.items() if i in arrived]
print(f"BENCH_LOWLOAD events={len(sent)} rate={rate:g}/s ack_p50_ms={pct(acks, 50):.3f} ack_p99_ms={pct(acks, 99):.3f} "
      f"delivered={len(e2e)} e2e_p50_ms={pct(e2e, 50):.3f} e2e_p99_ms={pct(e2e, 99):.3f}")
