#!/usr/bin/env python3
"""The floor for ferry bench migration --baseline raw: unplug -> migrate -> replug -> cont over
two QMP unix sockets with nothing but the standard library, no checks, no rollback.

usage: raw_qmp_migrate.py SRC_SOCK DST_SOCK URI PARAMS_JSON [DEVICE_SPEC ...]
PARAMS_JSON is migrate-set-parameters' arguments, set on the source before timing starts (ferry's
plan sets max-bandwidth uncapped; without it QEMU throttles and the floor would not be a floor).
DEVICE_SPEC is QEMU's -device text, e.g. e1000e,id=hostnet1,bus=rp1,mac=52:54:00:00:00:11,romfile=
Prints one JSON object: milliseconds per step and in all, from the first device_del (or the
migrate-incoming when there is no device) to the reply of cont. Connecting is not timed."""
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.events = []
        self.file.readline()  # greeting
        self.cmd("qmp_capabilities")

    def read(self):
        line = self.file.readline()
        if not line:
            raise SystemExit("QEMU closed the monitor")
        return json.loads(line)

    def cmd(self, name, args=None):
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        self.file.write(json.dumps(msg).encode() + b"\n")
        while True:
            m = self.read()
            if "event" in m:
                self.events.append(m)
            elif "error" in m:
                raise SystemExit("%s: %s" % (name, m["error"]["desc"]))
            else:
                return m["return"]

    def wait(self, match):
        while True:
            for i, e in enumerate(self.events):
                if match(e):
                    del self.events[: i + 1]
                    return e
            self.events.append(self.read())


def device_args(spec):
    parts = spec.split(",")
    args = {"driver": parts[0]}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        args[key] = value
    return args


def main():
    src, dst, uri = Qmp(sys.argv[1]), Qmp(sys.argv[2]), sys.argv[3]
    params = json.loads(sys.argv[4])
    devices = [device_args(s) for s in sys.argv[5:]]
    for q in (src, dst):
        q.cmd("migrate-set-capabilities", {"capabilities": [{"capability": "events", "state": True}]})
    if params:
        src.cmd("migrate-set-parameters", params)
    t0 = time.monotonic()
    for d in devices:
        src.cmd("device_del", {"id": d["id"]})
    for d in devices:
        src.wait(lambda e, i=d["id"]: e["event"] == "DEVICE_DELETED" and e.get("data", {}).get("device") == i)
    t1 = time.monotonic()
    dst.cmd("migrate-incoming", {"uri": uri})
    src.cmd("migrate", {"uri": uri})
    done = dst.wait(lambda e: e["event"] == "MIGRATION" and e["data"]["status"] in ("completed", "failed"))
    if done["data"]["status"] != "completed":
        raise SystemExit("migration failed")
    t2 = time.monotonic()
    for d in devices:
        dst.cmd("device_add", d)
    t3 = time.monotonic()
    dst.cmd("cont")
    t4 = time.monotonic()

    def ms(a, b):
        return round((b - a) * 1000, 3)

    print(json.dumps({"unplugMs": ms(t0, t1), "migrateMs": ms(t1, t2), "replugMs": ms(t2, t3),
                      "contMs": ms(t3, t4), "wallMs": ms(t0, t4)}))


main()
