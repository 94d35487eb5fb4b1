"""The server under abuse: its memory under a huge enrollment body, and wrong codes per second.

    python bench/server_abuse.py [--body-mb 300] [--seconds 10] [--code-dir DIR]

Runs ``main.py server run`` as its own process on 127.0.0.1 and measures that
process (VmRSS and VmHWM from /proc), so the figures are the server's alone:

- memory before and after one enrollment body of ``--body-mb`` MB sent with a
  Content-Length, and one sent chunked (no Content-Length);
- wrong enrollment codes from one address for ``--seconds`` seconds, as fast as one
  client can send them: how many the server checked (400) and how many it refused
  unchecked (429), per second.

``--code-dir`` runs the server from another copy of the code (for a before/after
comparison, e.g. ``git archive COMMIT | tar -x -C DIR``); the client side always
comes from this one. Prints figures as it goes and a JSON summary on its last line.
Not a test.
"""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync import protocol  # noqa: E402
from sync.bundle import Identity  # noqa: E402


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def mb(pid: int, key: str = "VmRSS") -> float:
    return round(status_kb(pid, key) / 1024, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/v1/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def send_body(port: int, size: int, *, chunked: bool) -> tuple[object, float]:
    """Stream ``size`` bytes of a JSON-looking body to /v1/enroll; return (status or error, seconds)."""
    t = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json"}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(size)
    piece = b'{"v": 1, "pad": "' + b"x" * (1024 * 1024 - 17)
    try:
        c.putrequest("POST", "/v1/enroll")
        for k, v in headers.items():
            c.putheader(k, v)
        c.endheaders()
        sent = 0
        while sent < size:
            chunk = piece[: size - sent]
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            sent += len(chunk)
        if chunked:
            c.send(b"0\r\n\r\n")
        resp = c.getresponse()
        result: object = resp.status
        resp.read()
    except (BrokenPipeError, ConnectionResetError) as exc:
        # The server answered early and closed: read what it said if it is still there.
        result = f"closed by server mid-body ({type(exc).__name__})"
        try:
            result = f"{c.getresponse().status}, closed mid-body"
        except Exception:
            pass
    finally:
        c.close()
    return result, time.perf_counter() - t


def wrong_codes(port: int, seconds: float) -> dict:
    keys = Identity.generate().public().to_json()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    counts: dict[int, int] = {}
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
        code = protocol.new_enroll_code()
        cid, mac_key = protocol.code_keys(code)
        device_id = f"{n:016x}"
        body = json.dumps({"v": 1, "device_id": device_id, "code_id": cid, "keys": keys,
                           "mac": protocol.enroll_request_mac(mac_key, device_id, keys)}).encode()
        try:
            c.request("POST", "/v1/enroll", body=body, headers={"Content-Type": "application/json"})
            resp = c.getresponse()
            resp.read()
            counts[resp.status] = counts.get(resp.status, 0) + 1
        except (OSError, http.client.HTTPException):
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.close()
    total = sum(counts.values())
    return {"seconds": seconds, "answers": {str(k): v for k, v in sorted(counts.items())},
            "checked_per_s": round(counts.get(400, 0) / seconds, 2), "answered_per_s": round(total / seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--body-mb", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--code-dir", type=Path, default=ROOT)
    args = ap.parse_args()
    out: dict = {"code": str(args.code_dir)}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hub"
        # Make the server's folder with the code under test (the server creates its keys and schema).
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, '.'); from pathlib import Path; "
                        "from sync.server.hub import Hub; from sync.server.settings import Settings; "
                        f"Hub(Settings(data_dir=Path({str(data)!r}))).close()"], cwd=args.code_dir, check=True)
        port = free_port()
        proc = subprocess.Popen([sys.executable, "main.py", "server", "run", "--data", str(data), "--port", str(port)],
                                cwd=args.code_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_up(port, proc)
            time.sleep(1)
            out["rss_idle_mb"] = mb(proc.pid)
            print(f"server pid {proc.pid}: RSS {out['rss_idle_mb']} MB idle", flush=True)
            size = args.body_mb * 1024 * 1024
            for label, chunked in (("content_length", False), ("chunked", True)):
                before = mb(proc.pid)
                result, secs = send_body(port, size, chunked=chunked)
                time.sleep(1)
                row = {"answer": result, "seconds": round(secs, 2), "rss_before_mb": before, "rss_after_mb": mb(proc.pid),
                       "peak_rss_mb": mb(proc.pid, "VmHWM"), "server_alive": proc.poll() is None}
                out[f"body_{args.body_mb}mb_{label}"] = row
                print(f"{args.body_mb} MB enrollment body ({label}): {row}", flush=True)
                if proc.poll() is not None:
                    break
            if proc.poll() is None:
                out["wrong_codes"] = wrong_codes(port, args.seconds)
                print(f"wrong enrollment codes for {args.seconds:g} s from one address: {out['wrong_codes']}", flush=True)
            log = data / "logs" / "server.log"
            text = log.read_bytes() if log.exists() else b""
            out["log_bytes"] = len(text)
            out["log_holds_body"] = b"xxxxxxxxxxxxxxxx" in text
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
