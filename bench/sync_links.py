"""Sync over large backlogs and poor links: a real server in its own process on 127.0.0.1.

    python bench/sync_links.py [--mib 200] [--records 3000] [--rate 1500] [--cut 20000] [--skip-large] [--skip-links]

1. A backlog of ``--mib`` MiB of random base64 values (1 MiB each; they compress to 0.76) leaves a laptop
   by HTTP (``sync now``) and by USB (``sync export-bundle`` in parts, then the hub's
   ``server import-bundle`` on the folder). Time and peak memory (RSS) of the laptop,
   and of the server.
2. A backlog of ``--records`` households is pushed through tests/faulty_link.py: a link
   throttled to ``--rate`` bytes/s (the client's timeout stays at its 30 s), and a link
   that cuts every connection after ``--cut`` bytes. Time, sync attempts, connections.

Prints figures as it goes and a JSON summary on its last line. Not a test.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from faulty_link import FaultyLink  # noqa: E402
from storage import Store, crypto  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.errors import ServerUnreachable  # noqa: E402
from sync_helpers import make_hub  # noqa: E402

MIB = 1024 * 1024


class PeakRss:
    """Samples a process's resident memory every 20 ms; ``peak`` in MiB."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> float:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(0.02)

    def __enter__(self) -> "PeakRss":
        self.base = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


class Server:
    """``main.py server run`` in a process of its own, so that its memory is its own."""

    def __init__(self, data: Path) -> None:
        make_hub(data).close()  # the keys and the database, made once
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.data = data
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "server", "run", "--data", str(data),
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def code(self) -> str:
        out = subprocess.run([sys.executable, str(ROOT / "main.py"), "server", "enroll-code", "--data", str(self.data),
                              "--team", "north"], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def laptop(base: Path, name: str, server: Server, url: str | None = None) -> SyncClient:
    store, _ = Store.create(base / name, user="Bench", passphrase="synthetic bench passphrase",
                            kdf=crypto.fast_kdf_for_tests())
    client = SyncClient(store)
    client.enroll(url or server.url, server.code())
    return client


def household(i: int) -> dict:
    return {"head_name": f"Синтетична Особа {i}", "phone": f"+38067{i:07d}", "members": i % 9 + 1,
            "settlement": f"Село {i % 300}", "address": f"вул. Шевченка, {i % 200}", "needs": ["food", "nfi"][: i % 2 + 1],
            "consent": True, "visit_date": "2026-11-20", "note": "Синтетичний запис для вимірювання"}


def cli(args: list[str], env: dict | None = None) -> tuple[str, float, float]:
    """Run ``main.py ARGS`` in a process of its own; its stdout, seconds and peak RSS (MiB)."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    with PeakRss(proc.pid) as peak:
        stdout, stderr = proc.communicate()
    took = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(stderr)
    return stdout, took, peak.peak


def large_backlog(base: Path, server: Server, mib: int, out: dict) -> None:
    """The laptop's side runs as the command line does (``sync now``, ``sync export-bundle``)
    in a fresh process, so that its peak memory is the sync's, not the making of the backlog's."""
    env = {"FIELDBOOK_PASSPHRASE": "synthetic bench passphrase"}
    for route in ("http", "usb"):
        a = laptop(base, f"large-{route}", server)
        # Random base64: compresses to about 0.76, so the bundles are near their payload's size.
        a.store.save_records("household", ({"note": base64.b64encode(os.urandom(MIB * 3 // 4)).decode(), "n": i}
                                           for i in range(mib)))
        a.store.close()
        profile = str(base / f"large-{route}")
        if route == "http":
            with PeakRss(server.proc.pid) as srv:
                stdout, took, peak = cli(["sync", "now", "--profile", profile], env)
            pushed = json.loads(stdout)["pushed"]
            assert pushed == mib, stdout
            out["large_http"] = {"mib": mib, "s": round(took, 1), "mib_per_s": round(mib / took, 1),
                                 "laptop_peak_rss_mib": round(peak), "server_peak_rss_mib": round(srv.peak)}
            print(f"{mib} MiB by HTTP ('sync now'): {took:.1f} s ({mib / took:.1f} MiB/s); laptop peak RSS {peak:.0f} MiB, "
                  f"server peak RSS {srv.peak:.0f} MiB", flush=True)
        else:
            usb = base / "usb"
            usb.mkdir()
            stdout, took, peak = cli(["sync", "export-bundle", "--profile", profile, "--out", str(usb / "laptop.fbb")], env)
            files = json.loads(stdout)["files"]
            sizes = [Path(f).stat().st_size for f in files]
            # The hub imports the folder with its command line, in a process of its own.
            stdout, imported, imp_peak = cli(["server", "import-bundle", "--data", str(server.data), str(usb)])
            new = sum(json.loads(line).get("new", 0) for line in stdout.splitlines())
            assert new == mib, stdout
            out["large_usb"] = {"mib": mib, "parts": len(files), "largest_part_mib": round(max(sizes) / MIB, 1),
                                "export_s": round(took, 1), "export_peak_rss_mib": round(peak),
                                "hub_import_s": round(imported, 1), "hub_import_peak_rss_mib": round(imp_peak)}
            print(f"{mib} MiB by USB ('sync export-bundle'): {len(files)} parts (largest {max(sizes) / MIB:.1f} MiB) "
                  f"written in {took:.1f} s, peak RSS {peak:.0f} MiB; 'server import-bundle' on the folder: "
                  f"{imported:.1f} s, peak RSS {imp_peak:.0f} MiB", flush=True)


def drain(client: SyncClient, deadline_s: float) -> int:
    attempts, end = 0, time.monotonic() + deadline_s
    while time.monotonic() < end:
        attempts += 1
        try:
            client.sync_now()
        except ServerUnreachable:
            continue
        if client.store.pending_count() == 0:
            return attempts
    raise RuntimeError(f"not drained in {deadline_s} s: {client.store.pending_count()} pending")


def poor_links(base: Path, server: Server, records: int, rate: int, cut: int, out: dict) -> None:
    for name, faults in (("rate", {"rate": rate}), ("cut", {"cut_after": cut})):
        with FaultyLink(("127.0.0.1", server.port)) as link:
            a = laptop(base, f"link-{name}", server, link.url)
            a.store.save_records("household", (household(i) for i in range(records)))
            for k, v in faults.items():
                setattr(link, k, v)
            before = link.connections
            t = time.perf_counter()
            attempts = drain(a, 3600)
            took = time.perf_counter() - t
            row = {"records": records, **faults, "s": round(took, 1), "sync_attempts": attempts,
                   "requests": link.connections - before, "cuts": link.cuts, "bytes_up": link.bytes_up,
                   "final_push_budget_bytes": a.link.push.value}
            out[f"link_{name}"] = row
            what = f"{rate:,} B/s" if name == "rate" else f"a cut after {cut:,} B per connection"
            print(f"{records:,} records over {what}: drained in {took:.1f} s, {attempts} sync attempt(s), "
                  f"{row['requests']} connections, {link.cuts} cut(s), {link.bytes_up:,} bytes up", flush=True)
            a.store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=200)
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--rate", type=int, default=1500)
    ap.add_argument("--cut", type=int, default=20_000)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-links", action="store_true")
    args = ap.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = Server(base / "hub")
        try:
            if not args.skip_links:
                poor_links(base, server, args.records, args.rate, args.cut, out)
            if not args.skip_large:
                large_backlog(base, server, args.mib, out)
        finally:
            server.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
