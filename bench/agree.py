#!/usr/bin/env python3
"""Checks that a pcipass listing and an lspci listing of the same tree agree, function by function.

Usage: bench/agree.py PCIPASS.json LSPCI.txt

PCIPASS.json is `pcipass list --json`, LSPCI.txt is `lspci -D -vmm -nn -k` of the same sysfs tree.
Compared for every function: the set of addresses, vendor, device, subsystem vendor and device,
class with prog-if, revision, driver, NUMA node and IOMMU group. Prints one line saying how many
functions agree and exits 0; else prints the first disagreements and exits 1. The benchmark scripts
run it once before timing, so that a generated tree both programs read differently is never timed.
"""
import json
import re
import sys

BRACKET = re.compile(r"\[([0-9a-f]{4,6})\]\s*$")


def lspci_records(text):
    out = {}
    for block in text.strip().split("\n\n"):
        rec = {}
        for line in block.splitlines():
            key, _, value = line.partition(":\t")
            rec[key] = value
        if "Slot" in rec:
            out[rec["Slot"]] = rec
    return out


def ident(value):
    """The id in brackets at the end of an lspci -nn field ("Intel Corporation [8086]" -> "8086")."""
    if value is None:
        return None
    m = BRACKET.search(value)
    return m.group(1) if m else value


def expected(rec):
    cls = ident(rec.get("Class"))
    return {
        "vendorId": ident(rec.get("Vendor")),
        "deviceId": ident(rec.get("Device")),
        "subsystemVendorId": ident(rec.get("SVendor")),
        "subsystemDeviceId": ident(rec.get("SDevice")),
        "classCode": None if cls is None else cls + rec.get("ProgIf", "00"),
        "revision": rec.get("Rev", "00"),
        "driver": rec.get("Driver"),
        "numaNode": int(rec["NUMANode"]) if "NUMANode" in rec else None,
        "iommuGroup": int(rec["IOMMUGroup"]) if "IOMMUGroup" in rec else None,
    }


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: agree.py PCIPASS.json LSPCI.txt")
    with open(sys.argv[1]) as f:
        mine = {d["address"]: d for d in json.load(f)}
    with open(sys.argv[2]) as f:
        theirs = lspci_records(f.read())
    problems = []
    for a in sorted(set(mine) ^ set(theirs)):
        problems.append("%s: listed by %s only" % (a, "pcipass" if a in mine else "lspci"))
    for a in sorted(set(mine) & set(theirs)):
        for field, want in expected(theirs[a]).items():
            if mine[a].get(field) != want:
                problems.append("%s %s: pcipass %r, lspci %r" % (a, field, mine[a].get(field), want))
    if problems:
        for p in problems[:20]:
            print("agree.py: " + p, file=sys.stderr)
        sys.exit("agree.py: %d disagreements between %s and %s" % (len(problems), sys.argv[1], sys.argv[2]))
    print("agree.py: pcipass and lspci agree on all %d functions (ids, class, revision, driver, NUMA node,"
          " IOMMU group)" % len(mine))


if __name__ == "__main__":
    main()
