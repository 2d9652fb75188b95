#!/usr/bin/env python3
"""Soak: mixed traffic into the real daemon for a while, under faults.

Traffic (4 clients): new signed events, duplicates of acknowledged ones, bad
signatures, oversized bodies, and slow clients trickling their request. The
sink the rule forwards to flaps between 200 and 503. At random intervals the
daemon is sent SIGHUP, or killed with SIGKILL and restarted, or the store's
small tmpfs is filled up (then freed). At the end the sink answers 200, the
backlog drains, and the script checks that every event answered 200 is in
the store and that every job of those is delivered or dead with a reason.

Usage: bench/soak.py [SECONDS=600] [BINARY=build/release/src/asc-webhookd]
Needs root for the tmpfs (without it the disk-full fault is skipped, and said).
Prints one SOAK line of counts; exits 1 when anything acknowledged was lost.
"""
import hashlib, hmac, http.server, json, os, random, signal, socket, sqlite3, subprocess
import sys, tempfile, threading, time, uuid

DURATION = int(sys.argv[1]) if len(sys.argv) > 1 else 600
BINARY = sys.argv[2] if len(sys.argv) > 2 else "build/release/src/asc-webhookd"
SECRET = "soak-secret-0123456789"
lock = threading.Lock()
stats = {k: 0 for k in ["sent", "acked", "dup_sent", "dup_answered", "bad_sig_401", "oversized_413", "slow_ok",
                        "answered_503", "no_answer", "hups", "kills", "disk_fills", "sink_200", "sink_503"]}
acked = set()
stop = threading.Event()


def bump(k, n=1):
    with lock:
        stats[k] += n


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Sink(http.server.BaseHTTPRequestHandler):
    healthy = True
    received = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ok = Sink.healthy
        if ok:
            try:
                Sink.received.add(json.loads(body)["data"]["id"])
            except Exception:
                pass
        bump("sink_200" if ok else "sink_503")
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def event(eid):
    return json.dumps({"data": {"type": "buildUploadStateUpdated", "id": eid, "version": 1,
                                "attributes": {"oldState": "PROCESSING", "newState": "COMPLETE"},
                                "relationships": {"instance": {"data": {"type": "buildUploads", "id": "u-" + eid[:4]}}}}}).encode()


def sign(body, secret=SECRET):
    return "hmacsha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request(port, body, signature, slow=False):
    head = ("POST /webhooks/soak HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "x-apple-signature: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (signature, len(body))).encode()
    data = head + body
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            if slow:
                for i in range(0, len(data), max(1, len(data) // 3)):
                    s.sendall(data[i:i + max(1, len(data) // 3)])
                    time.sleep(0.3)
            else:
                s.sendall(data)
            answer = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
            line = answer.split(b"\r\n", 1)[0].split(b" ")
            return int(line[1]) if len(line) > 1 else 0
    except OSError:
        return 0


def client(port_ref):
    rng = random.Random()
    while not stop.is_set():
        r = rng.random()
        port = port_ref[0]
        if r < 0.6 or (r < 0.75 and not acked):
            eid = str(uuid.uuid4())
            body = event(eid)
            bump("sent")
            status = request(port, body, sign(body))
            if status == 200:
                with lock:
                    acked.add(eid)
                bump("acked")
            elif status == 503:
                bump("answered_503")
            elif status == 0:
                bump("no_answer")
        elif r < 0.75:
            with lock:
                eid = rng.choice(sorted(acked)) if acked else None
            if eid:
                body = event(eid)
                bump("dup_sent")
                if request(port, body, sign(body)) == 200:
                    bump("dup_answered")
        elif r < 0.85:
            body = event(str(uuid.uuid4()))
            if request(port, body, sign(body, "not-the-secret")) == 401:
                bump("bad_sig_401")
        elif r < 0.9:
            body = b'{"data":{"type":"x","id":"' + b"x" * (2 * 1024 * 1024) + b'"}}'
            if request(port, body, sign(body)) == 413:
                bump("oversized_413")
        else:
            eid = str(uuid.uuid4())
            body = event(eid)
            bump("sent")
            status = request(port, body, sign(body), slow=True)
            if status == 200:
                with lock:
                    acked.add(eid)
                bump("acked")
                bump("slow_ok")


def main():
    work = tempfile.mkdtemp(prefix="asc-webhookd-soak-")
    store_dir = os.path.join(work, "store")
    os.makedirs(store_dir)
    tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", store_dir],
                           capture_output=True).returncode == 0
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    port = free_port()
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write(f"""server:
  listen: 127.0.0.1:{port}
  header_timeout: 5s
  body_timeout: 5s
store:
  path: {store_dir}/state.db
delivery:
  initial_backoff: 200ms
  max_backoff: 2s
  max_attempts: 1000
  max_age: 2h
log:
  level: warn
webhooks:
  - name: soak
    secret: {SECRET}
rules:
  - name: forward
    when: {{ event: buildUploadStateUpdated }}
    actions:
      - http: {{ url: "http://127.0.0.1:{sink.server_address[1]}/sink" }}
""")
    log = open(os.path.join(work, "daemon.log"), "ab")
    proc = [None]

    def start():
        for _ in range(100):
            p = subprocess.Popen([BINARY, "serve", "--config", config], stderr=log)
            for _ in range(50):
                if p.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    proc[0] = p
                    return
                except OSError:
                    time.sleep(0.1)
            p.kill()
            p.wait()
            time.sleep(0.5)  # e.g. the disk is still full
        raise SystemExit("the daemon does not start again; see " + log.name)

    start()
    port_ref = [port]
    clients = [threading.Thread(target=client, args=(port_ref,), daemon=True) for _ in range(4)]
    for c in clients:
        c.start()
    filler = os.path.join(store_dir, "filler")
    end = time.time() + DURATION
    rng = random.Random(7)
    while time.time() < end:
        time.sleep(rng.uniform(3, 12))
        Sink.healthy = rng.random() < 0.6  # the sink flaps
        fault = rng.random()
        if fault < 0.3:
            proc[0].send_signal(signal.SIGHUP)
            bump("hups")
        elif fault < 0.65:
            proc[0].kill()
            proc[0].wait()
            bump("kills")
            time.sleep(0.3)
            start()
        elif tmpfs:
            bump("disk_fills")
            try:
                with open(filler, "wb") as f:
                    while True:
                        f.write(b"\0" * (1 << 20))
            except OSError:
                pass
            time.sleep(rng.uniform(2, 5))
            os.remove(filler)
    stop.set()
    for c in clients:
        c.join(30)
    Sink.healthy = True
    if proc[0].poll() is not None:
        start()
    db = sqlite3.connect(os.path.join(store_dir, "state.db"), timeout=30)
    deadline = time.time() + 300
    while time.time() < deadline:
        left = db.execute("SELECT count(*) FROM jobs WHERE state IN ('pending','running')").fetchone()[0]
        if left == 0:
            break
        time.sleep(1)
    stored = {r[0] for r in db.execute("SELECT event_id FROM events")}
    lost = acked - stored
    jobs = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    dead_without_reason = db.execute("SELECT count(*) FROM jobs WHERE state = 'dead' AND coalesce(last_error,'') = ''").fetchone()[0]
    acked_jobs = db.execute("SELECT count(*) FROM jobs j JOIN events e ON e.seq = j.event_seq").fetchone()[0]
    twice = db.execute("SELECT count(*) FROM (SELECT event_seq FROM jobs GROUP BY event_seq HAVING count(*) > 1)").fetchone()[0]
    done_ids = {r[0] for r in db.execute("SELECT e.event_id FROM jobs j JOIN events e ON e.seq = j.event_seq WHERE j.state = 'done'")}
    undelivered_done = len(done_ids - Sink.received)
    db.close()
    proc[0].terminate()
    proc[0].wait()
    if tmpfs:
        subprocess.run(["umount", store_dir])
    line = " ".join(f"{k}={v}" for k, v in stats.items())
    print(f"SOAK seconds={DURATION} {line} tmpfs={'yes' if tmpfs else 'no'} stored={len(stored)} "
          f"acked_lost={len(lost)} jobs={acked_jobs} planned_twice={twice} done={jobs.get('done', 0)} dead={jobs.get('dead', 0)} "
          f"dead_without_reason={dead_without_reason} still_pending={jobs.get('pending', 0) + jobs.get('running', 0)} "
          f"done_but_never_arrived={undelivered_done} sink_ids={len(Sink.received)}")
    ok = not lost and dead_without_reason == 0 and twice == 0 and jobs.get("pending", 0) + jobs.get("running", 0) == 0 \
        and undelivered_done == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
