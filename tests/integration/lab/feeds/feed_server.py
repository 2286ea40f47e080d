#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The threat-feed server of tests/integration/feeds.sh and bench/bench_feed_latency.sh.

Runs in an external host of a lab (palisade lab exec HOST -- python3 feed_server.py ...) and
serves GET /<name> from the file DIR/<name>.  How it answers is read from DIR/mode at every
request, so the test switches behaviour by writing that file:

  normal    200 with the file and an ETag (a hash of it); If-None-Match with that ETag: 304
  500       500 Internal Server Error
  hang      a 200 promising 1000 bytes, then 10 bytes, then nothing for 30 s
  big       50 MiB of addresses, streamed without Content-Length
  garbage   200 with 64 KiB of random bytes

Every request is appended to DIR/requests.log as "<path> <status> <If-None-Match or ->".
DIR/ready is written once the port is bound.  Every wait is bounded; the process ends on
SIGTERM or after --lifetime seconds.
"""
import argparse
import hashlib
import http.server
import os
import signal
import socketserver
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: requests.log is the record
        pass

    def record(self, status):
        inm = self.headers.get("If-None-Match") or "-"
        with open(os.path.join(self.server.dir, "requests.log"), "a") as f:
            f.write(f"{self.path} {status} {inm}\n")

    def send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        try:
            with open(os.path.join(self.server.dir, "mode")) as f:
                mode = f.read().strip() or "normal"
        except FileNotFoundError:
            mode = "normal"
        name = os.path.basename(self.path)
        try:
            if mode == "500":
                self.record(500)
                self.send(500, b"oops\n")
            elif mode == "hang":
                self.record(200)
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"192.0.2.1\n")
                self.wfile.flush()
                time.sleep(30)
            elif mode == "big":
                self.record(200)
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                line = b"192.0.2.1\n" * 6554  # 64 KiB
                for _ in range(800):  # 50 MiB
                    self.wfile.write(line)
                self.close_connection = True
            elif mode == "garbage":
                self.record(200)
                self.send(200, os.urandom(65536))
            else:
                try:
                    with open(os.path.join(self.server.dir, name), "rb") as f:
                        body = f.read()
                except OSError:
                    self.record(404)
                    self.send(404, b"no such feed\n")
                    return
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.record(304)
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.record(200)
                    self.send(200, body, [("ETag", etag), ("Content-Type", "text/plain")])
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--lifetime", type=int, default=600)
    a = ap.parse_args()
    srv = Server(("0.0.0.0", a.port), Handler)
    srv.dir = a.dir
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Timer(a.lifetime, lambda: os._exit(0)).start()
    with open(os.path.join(a.dir, "ready"), "w") as f:
        f.write(str(os.getpid()))
    srv.serve_forever()


if __name__ == "__main__":
    main()
