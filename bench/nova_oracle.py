#!/usr/bin/python3
"""The Nova oracle for pcipass's fleet scheduler (issue 13, acceptance c and d).

Drives OpenStack Nova's OWN PCI code (Debian bookworm's python3-nova, 26.2.2: nova.pci.stats,
nova.pci.whitelist, nova.pci.request, nova.virt.hardware) on generated workloads. This file only
generates inputs (hosts, devices, device_spec, aliases, flavors) and serialises Nova's outputs;
pools, the parse of the flavors into InstancePCIRequests and every placement decision are Nova's.

Run it through bench/nova-oracle.sh (which installs python3-nova when missing) with Debian's
/usr/bin/python3:

  generate --hosts N --requests R --seed S --profile mixed|numa|sriov|bench
           --out-fleet F --out-requests F [--devices-per-host M]
  place    --fleet F --requests F --out F [--no-numa]

Formats: nova-pci-bench/fleet/v1, nova-pci-bench/requests/v1, nova-pci-bench/placements/v1
(issue 13; bench/README.md). `place` prints one JSON line on stdout; everything else goes to stderr.
"""
import argparse
import hashlib
import json
import random
import sys
import time
import uuid
import warnings

# Nova's imports are heavy and may warn; nothing of theirs may reach stdout.
_real_stdout = sys.stdout
sys.stdout = sys.stderr
warnings.simplefilter("ignore")
import nova.conf  # noqa: E402
from nova import objects  # noqa: E402

objects.register_all()
from nova.pci import request as pci_request  # noqa: E402
from nova.pci import stats as pci_stats  # noqa: E402
from nova.pci import whitelist  # noqa: E402
from nova.virt import hardware  # noqa: E402

sys.stdout = _real_stdout
CONF = nova.conf.CONF

FLEET_FORMAT = "nova-pci-bench/fleet/v1"
REQUESTS_FORMAT = "nova-pci-bench/requests/v1"
PLACEMENTS_FORMAT = "nova-pci-bench/placements/v1"

# ---------------------------------------------------------------------------------------------
# Inputs: device ids (as libvirt reports them: 4 lower-case hex digits)
INTEL_PF, INTEL_VF = ("8086", "1592"), ("8086", "1889")      # E810 PF / its VF
MLX_PF, MLX_VF = ("15b3", "101d"), ("15b3", "101e")          # ConnectX-6 Dx PF / its VF
A100, T4 = ("10de", "20b5"), ("10de", "1eb8")
SAMSUNG_NVME, INTEL_NVME = ("144d", "a80a"), ("8086", "0a54")
FPGA, USB = ("10ee", "5000"), ("1b21", "2142")              # USB: whitelisted by no entry

# [pci] device_spec, one JSON string per entry (first match wins, its other keys become tags).
DEVICE_SPEC = [
    # the first PF of each Intel NIC: glob with '*' domain and function
    {"address": "*:3b:00.*", "vendor_id": "8086", "product_id": "1592",
     "physical_network": "physnet1"},
    # VFs on buses 80-89 with function 1-7: regex dict; trusted tag
    {"vendor_id": "8086", "product_id": "1889", "address": {"bus": "8[0-9]", "function": "[1-7]"},
     "physical_network": "physnet2", "trusted": "true"},
    # every other Intel VF
    {"vendor_id": "8086", "product_id": "1889", "physical_network": "physnet1"},
    # the other Intel PFs: explicit remote_managed "false" (the same value Nova defaults to)
    {"vendor_id": "8086", "product_id": "1592", "physical_network": "physnet2",
     "remote_managed": "false"},
    # Mellanox PF and VFs on bus 81 of domain 0 ("0000:81:" = slot and function any)
    {"vendor_id": "15b3", "address": "0000:81:", "physical_network": "physnet3"},
    # A100: "0x" prefix and upper case, normalised by Nova to 10de/20b5
    {"vendor_id": "0x10DE", "product_id": "20B5"},
    # T4 on any address
    {"vendor_id": "10DE", "product_id": "1eb8"},
    # Samsung NVMe in slot 00 of any bus (":00." -> *:*:00.*)
    {"vendor_id": "144d", "address": ":00."},
    # Intel NVMe in slot 00 ("00" -> *:*:00.*)
    {"vendor_id": "8086", "product_id": "0A54", "address": "00"},
    # FPGA, every product
    {"vendor_id": "10ee"},
    # matches no device of the fleet
    {"vendor_id": "1af4", "product_id": "1041", "address": "0000:00:"},
]

# [pci] alias, one JSON string per entry; same name = ORed specs (Nova requires device_type on all).
ALIASES = [
    {"name": "gpu", "vendor_id": "10DE", "product_id": "20b5", "device_type": "type-PCI",
     "numa_policy": "preferred"},
    {"name": "gpu", "vendor_id": "10de", "product_id": "1EB8", "device_type": "type-PCI",
     "numa_policy": "preferred"},
    {"name": "a100", "vendor_id": "10de", "product_id": "20b5", "device_type": "type-PCI",
     "numa_policy": "required"},
    {"name": "t4", "vendor_id": "10de", "product_id": "1eb8"},                 # legacy, no type
    {"name": "vf", "vendor_id": "8086", "product_id": "1889", "device_type": "type-VF",
     "numa_policy": "socket"},
    {"name": "vf", "vendor_id": "15B3", "product_id": "101e", "device_type": "type-VF",
     "numa_policy": "socket"},
    {"name": "vf-any", "vendor_id": "8086", "product_id": "1889"},             # VF, no device_type
    {"name": "mlx-any", "vendor_id": "15b3"},                                  # PF or VF by ids
    {"name": "pf", "vendor_id": "8086", "product_id": "1592", "device_type": "type-PF",
     "numa_policy": "legacy"},
    {"name": "mlx-pf", "vendor_id": "15b3", "product_id": "101D", "device_type": "type-PF",
     "numa_policy": "required"},
    {"name": "nvme", "vendor_id": "144d", "product_id": "a80a", "device_type": "type-PCI",
     "numa_policy": "legacy"},
    {"name": "nvme", "vendor_id": "8086", "product_id": "0a54", "device_type": "type-PCI",
     "numa_policy": "legacy"},
    {"name": "fpga", "vendor_id": "10ee", "product_id": "5000", "device_type": "type-PCI",
     "numa_policy": "preferred"},
]

ANY_CELLS = [None, [0], [1], [0, 1]]

# Flavor mixes per profile: flavor_alias (the pci_passthrough:alias extra spec), weight,
# numa_cells_choices (guest cells; null = no guest NUMA topology) and optionally
# flavor_numa_policy (the flavor's hw:pci_numa_affinity_policy, overriding the alias's policy).
MIXES = {
    "mixed": [
        {"flavor_alias": "gpu:1", "weight": 16, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "gpu:2, vf:1", "weight": 8, "numa_cells_choices": [None, [0], [0, 1]]},
        {"flavor_alias": "a100:1", "weight": 6, "numa_cells_choices": [[0], [1]]},
        {"flavor_alias": "t4:1", "weight": 6, "numa_cells_choices": [None, [1]]},
        {"flavor_alias": "vf:2", "weight": 12, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "vf-any:1", "weight": 10, "numa_cells_choices": [None, [0]]},
        {"flavor_alias": "pf:1", "weight": 5, "numa_cells_choices": [None, [1]]},
        {"flavor_alias": "mlx-pf:1", "weight": 3, "numa_cells_choices": [None, [1]]},
        {"flavor_alias": "nvme:2", "weight": 8, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "nvme:1", "weight": 5, "numa_cells_choices": [[0], [1]],
         "flavor_numa_policy": "required"},
        {"flavor_alias": "fpga:1", "weight": 3, "numa_cells_choices": [None, [0]]},
        {"flavor_alias": "nvme:1, fpga:1", "weight": 3, "numa_cells_choices": [None, [1]]},
        {"flavor_alias": "mlx-any:2", "weight": 3, "numa_cells_choices": [None, [1]]},
    ],
    "numa": [
        {"flavor_alias": "gpu:1", "weight": 12, "numa_cells_choices": [[0], [1], [0, 1]]},
        {"flavor_alias": "gpu:2", "weight": 6, "numa_cells_choices": [[0], [1]],
         "flavor_numa_policy": "socket"},
        {"flavor_alias": "a100:1", "weight": 10, "numa_cells_choices": [[0], [1]]},
        {"flavor_alias": "a100:2", "weight": 4, "numa_cells_choices": [[0], [1], [0, 1]]},
        {"flavor_alias": "t4:1", "weight": 8, "numa_cells_choices": [[0], [1], None]},
        {"flavor_alias": "vf:2", "weight": 10, "numa_cells_choices": [[0], [1]]},
        {"flavor_alias": "vf:1", "weight": 6, "numa_cells_choices": [[0], [1]],
         "flavor_numa_policy": "required"},
        {"flavor_alias": "nvme:2", "weight": 8, "numa_cells_choices": [[0], [1], None]},
        {"flavor_alias": "nvme:1", "weight": 6, "numa_cells_choices": [[0], [1]],
         "flavor_numa_policy": "preferred"},
        {"flavor_alias": "pf:1", "weight": 4, "numa_cells_choices": [[0], [1]],
         "flavor_numa_policy": "required"},
        {"flavor_alias": "gpu:1, nvme:1", "weight": 6, "numa_cells_choices": [[0], [1]]},
        {"flavor_alias": "fpga:1", "weight": 3, "numa_cells_choices": [[0], [1]],
         "flavor_numa_policy": "socket"},
    ],
    "sriov": [
        {"flavor_alias": "vf:1", "weight": 14, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "vf:4", "weight": 6, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "vf-any:2", "weight": 10, "numa_cells_choices": [None, [0]]},
        {"flavor_alias": "pf:1", "weight": 8, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "pf:1, vf:2", "weight": 5, "numa_cells_choices": [None, [1]]},
        {"flavor_alias": "mlx-pf:1", "weight": 5, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "mlx-any:1", "weight": 8, "numa_cells_choices": [None, [1]]},
        {"flavor_alias": "vf:2", "weight": 6, "numa_cells_choices": [[0], [1]],
         "flavor_numa_policy": "required"},
        {"flavor_alias": "mlx-pf:1", "weight": 3, "numa_cells_choices": [[0]],
         "flavor_numa_policy": "preferred"},
        {"flavor_alias": "gpu:1, vf:1", "weight": 4, "numa_cells_choices": [None, [0]]},
    ],
    # the speed benchmark: an NFV-heavy cloud (most requests are VFs, abundant), a small share of
    # GPUs, NVMe, PFs and FPGAs (scarce: their requests scan further), about a third NUMA-pinned
    "bench": [
        {"flavor_alias": "vf:1", "weight": 40, "numa_cells_choices": [None, None, [0], [1]]},
        {"flavor_alias": "vf:2", "weight": 15, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "vf-any:1", "weight": 15, "numa_cells_choices": [None]},
        {"flavor_alias": "mlx-any:1", "weight": 3, "numa_cells_choices": [None, [1]]},
        {"flavor_alias": "gpu:1", "weight": 5, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "gpu:1, vf:1", "weight": 3, "numa_cells_choices": [None, [0]]},
        {"flavor_alias": "a100:2", "weight": 1, "numa_cells_choices": [[0], [1]]},
        {"flavor_alias": "nvme:1", "weight": 5, "numa_cells_choices": [None, [0], [1]]},
        {"flavor_alias": "nvme:1, vf:1", "weight": 3, "numa_cells_choices": [None, [1]],
         "flavor_numa_policy": "preferred"},
        {"flavor_alias": "pf:1", "weight": 1, "numa_cells_choices": [None, [0]]},
        {"flavor_alias": "fpga:1", "weight": 1, "numa_cells_choices": [None]},
    ],
}

# Host kinds per profile, with weights.
KINDS = {
    "mixed": [("gpu8", 4), ("t4", 3), ("storage", 2), ("legacy", 2), ("nic", 2)],
    "numa": [("gpu8", 3), ("t4", 3), ("gpu4x4", 3), ("legacy", 1)],
    "sriov": [("nic", 4), ("t4", 2), ("gpu8", 1), ("mlx", 3)],
    "bench": [("gpu8", 5), ("t4", 2), ("storage", 2), ("legacy", 1)],
}


def addr(bus, slot, func, domain=0):
    return "%04x:%02x:%02x.%x" % (domain, bus, slot, func)


def dev(address, ids, dev_type, numa, parent=None):
    return {"address": address, "vendor_id": ids[0], "product_id": ids[1], "dev_type": dev_type,
            "numa_node": numa, "parent_addr": parent}


def nic(out, ids_pf, ids_vf, bus, numa, nvfs, devfn0):
    """A PF at bus:00.0 and nvfs VFs on the same bus, VF k at devfn devfn0 + k."""
    pf = addr(bus, 0, 0)
    out.append(dev(pf, ids_pf, "type-PF", numa))
    for k in range(nvfs):
        devfn = devfn0 + k
        out.append(dev(addr(bus, devfn // 8, devfn % 8), ids_vf, "type-VF", numa, pf))


def make_host(rng, name, kind, dph):
    """(numa_cells, devices) of a host of this kind. dph: devices per host (exact) or None."""
    four_cells = kind in ("t4", "gpu4x4") or (kind == "legacy" and rng.random() < 0.5)
    if four_cells:  # 2 sockets x 2 cells
        cells = [{"id": i, "socket": i // 2, "cpus": 16, "memory_mb": 65536} for i in range(4)]
    else:           # 2 sockets x 1 cell
        cells = [{"id": i, "socket": i, "cpus": 32, "memory_mb": 131072} for i in range(2)]
    ncell = len(cells)
    null = kind == "legacy"
    devs = []
    fixed = []  # devices other than VFs

    def node(i):
        return None if null else i

    if kind in ("gpu8", "legacy", "gpu4x4"):
        ngpu = 8 if dph == 142 else rng.choice([2, 4, 4, 8])
        for g in range(ngpu):
            bus = [0x17, 0x18, 0x31, 0x34, 0x98, 0x99, 0xb1, 0xb4][g]
            fixed.append(dev(addr(bus, 0, 0), A100, "type-PCI",
                             node((g * ncell) // 8 if kind != "gpu8" else g // 4)))
        nnvme = 4 if dph == 142 else rng.randint(1, 4)
        for n in range(nnvme):
            fixed.append(dev(addr(0x5e + n, 0, 0), SAMSUNG_NVME, "type-PCI", node(n % 2)))
        pfs = [(INTEL_PF, INTEL_VF, 0x3b, 0), (INTEL_PF, INTEL_VF, 0x86, ncell - 1)]
    elif kind == "t4":
        ngpu = 4 if dph == 142 else rng.randint(1, 4)
        for g in range(ngpu):
            fixed.append(dev(addr(0x1a + g, 0, 0), T4, "type-PCI", g % ncell))
        nnvme = 8 if dph == 142 else rng.randint(1, 4)
        for n in range(nnvme):
            fixed.append(dev(addr(0x60 + n, 0, 0), INTEL_NVME, "type-PCI", n % ncell))
        pfs = [(INTEL_PF, INTEL_VF, 0x3b, 0), (MLX_PF, MLX_VF, 0x81, ncell - 1)]
    elif kind == "storage":
        nnvme = 12 if dph == 142 else rng.randint(4, 8)
        for n in range(nnvme):
            ids = SAMSUNG_NVME if n % 3 else INTEL_NVME
            # one drive in slot 01 (behind a switch port): no device_spec entry matches it
            fixed.append(dev(addr(0x5e + n, 1 if (n == 5 and dph != 142) else 0, 0), ids,
                             "type-PCI", None if n >= 10 else n % 2))
        pfs = [(INTEL_PF, INTEL_VF, 0x3b, 0), (INTEL_PF, INTEL_VF, 0x86, 1)]
    elif kind == "mlx":
        pfs = [(MLX_PF, MLX_VF, 0x81, 1), (INTEL_PF, INTEL_VF, 0x3b, 0)]
        if rng.random() < 0.5:
            pfs.append((INTEL_PF, INTEL_VF, 0x88, 1))
    else:  # nic
        pfs = [(INTEL_PF, INTEL_VF, 0x3b, 0), (INTEL_PF, INTEL_VF, 0x86, 1)]
        if rng.random() < 0.4:
            fixed.append(dev(addr(0x5e, 0, 0), SAMSUNG_NVME, "type-PCI", 0))
    fixed.append(dev(addr(0xd8, 0, 0), FPGA, "type-PCI", node(ncell - 1)))
    fixed.append(dev(addr(0x00, 0x14, 0), USB, "type-PCI", None))
    if dph is not None:
        spare = dph - len(fixed) - len(pfs)
        if spare < 0:
            raise SystemExit("--devices-per-host %d is too small for host kind %s" % (dph, kind))
        per = [spare // len(pfs)] * len(pfs)
        for i in range(spare - sum(per)):
            per[i] += 1
    else:
        per = [rng.randint(2, 8) for _ in pfs]
    for (ids_pf, ids_vf, bus, numa), nvfs in zip(pfs, per):
        # Mellanox VFs follow the PF (81:00.1, ...), Intel VFs start at slot 1 (3b:01.0, ...)
        nic(devs, ids_pf, ids_vf, bus, None if null else numa, nvfs, 1 if ids_pf == MLX_PF else 8)
    devs.extend(fixed)
    return cells, devs


# ---------------------------------------------------------------------------------------------
# Nova objects

def host_topology(cells):
    out = []
    for c in cells:
        base = c["id"] * c["cpus"]
        cpus = set(range(base, base + c["cpus"]))
        siblings = [{base + i, base + i + 1} for i in range(0, c["cpus"], 2)]
        kb = c["memory_mb"] * 1024
        mempages = [objects.NUMAPagesTopology(size_kb=4, total=kb // 4 // 2, used=0, reserved=0),
                    objects.NUMAPagesTopology(size_kb=2048, total=kb // 2048 // 4, used=0,
                                              reserved=0),
                    objects.NUMAPagesTopology(size_kb=1048576, total=kb // 1048576 // 4, used=0,
                                              reserved=0)]
        out.append(objects.NUMACell(
            id=c["id"], socket=c["socket"], cpuset=cpus, pcpuset=set(), memory=c["memory_mb"],
            cpu_usage=0, memory_usage=0, mempages=mempages, pinned_cpus=set(),
            siblings=siblings,
            network_metadata=objects.NetworkMetadata(physnets=set(), tunneled=False)))
    return objects.NUMATopology(cells=out)


def device_filter(device_spec):
    return whitelist.Whitelist([json.dumps(s) for s in device_spec])


def scheduler_stats(host, dev_filter, numa=True):
    """The scheduler's view of a host, as Nova builds it: the compute node's PciDeviceStats
    (add_device for each device, in the file's order) summarised to PciDevicePoolList, and the
    scheduler's HostState.pci_stats = PciDeviceStats(numa_topology, stats=pools)."""
    topo = host_topology(host["numa_cells"])
    compute = pci_stats.PciDeviceStats(topo, dev_filter=dev_filter)
    for d in host["devices"]:
        compute.add_device(objects.PciDevice(
            address=d["address"], vendor_id=d["vendor_id"], product_id=d["product_id"],
            dev_type=d["dev_type"], numa_node=d["numa_node"], parent_addr=d["parent_addr"],
            compute_node_id=1, status="available", extra_info={}))
    pools = compute.to_device_pools_obj()
    return pci_stats.PciDeviceStats(topo if numa else None, stats=pools)


def set_aliases(aliases):
    CONF.set_override("alias", [json.dumps(a) for a in aliases], group="pci")


def nova_pci_requests(flavor_alias, flavor_numa_policy):
    """Nova's parse of a flavor, as nova/compute/api.py does it at boot."""
    extra = {"pci_passthrough:alias": flavor_alias}
    if flavor_numa_policy:
        extra["hw:pci_numa_affinity_policy"] = flavor_numa_policy
    flavor = objects.Flavor(extra_specs=extra)
    image_meta = objects.ImageMeta.from_dict({})
    policy = hardware.get_pci_numa_policy_constraint(flavor, image_meta)
    reqs = pci_request.get_pci_requests_from_flavor(flavor, affinity_policy=policy)
    return [{"alias_name": r.alias_name, "count": r.count, "numa_policy": r.numa_policy,
             "spec": [dict(s) for s in r.spec]} for r in reqs.requests]


# ---------------------------------------------------------------------------------------------
# JSON, one host / one request per line

def dumps(o):
    return json.dumps(o, separators=(",", ":"))


def write_doc(path, head, list_key, items, tail=None):
    parts = [dumps(head)[:-1] + ',"%s":[' % list_key]
    parts.append(",\n".join(dumps(i) for i in items))
    parts.append("]")
    if tail:
        parts.append("," + dumps(tail)[1:-1])
    parts.append("}\n")
    with open(path, "w") as f:
        f.write(parts[0] + "\n" + parts[1] + "\n" + "".join(parts[2:]))


def load(path, fmt):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("format") != fmt:
        raise SystemExit("%s: not %s" % (path, fmt))
    return doc


# ---------------------------------------------------------------------------------------------

def cmd_generate(a):
    rng = random.Random(a.seed)
    profile = a.profile
    dph = a.devices_per_host
    if profile == "bench" and dph is None:
        dph = 142
    kinds = KINDS[profile]
    dev_filter = device_filter(DEVICE_SPEC)
    hosts = []
    for i in range(a.hosts):
        kind = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        cells, devs = make_host(rng, "host-%04d" % i, kind, dph)
        host = {"name": "host-%04d" % i, "profile": kind, "numa_cells": cells, "devices": devs}
        st = scheduler_stats(host, dev_filter)
        host["pools"] = [dict(p) for p in st.pools]  # PciDevicePool.to_dict(), in Nova's order
        hosts.append(host)
    write_doc(a.out_fleet, {"format": FLEET_FORMAT, "seed": a.seed, "profile": profile,
                            "device_spec": DEVICE_SPEC}, "hosts", hosts)

    set_aliases(ALIASES)
    mix = MIXES[profile]
    parsed = {}
    for m in mix:
        key = (m["flavor_alias"], m.get("flavor_numa_policy"))
        parsed[key] = nova_pci_requests(*key)
    requests = []
    weights = [m["weight"] for m in mix]
    for r in range(a.requests):
        m = rng.choices(mix, weights=weights)[0]
        cells = rng.choice(m["numa_cells_choices"])
        req = {"id": r, "flavor_alias": m["flavor_alias"]}
        if m.get("flavor_numa_policy"):
            req["flavor_numa_policy"] = m["flavor_numa_policy"]
        req["numa_cells"] = cells
        req["pci_requests"] = parsed[(m["flavor_alias"], m.get("flavor_numa_policy"))]
        requests.append(req)
    write_doc(a.out_requests, {"format": REQUESTS_FORMAT, "seed": a.seed, "profile": profile,
                               "aliases": ALIASES, "mix": mix}, "requests", requests)
    print("generated %d hosts (%d devices), %d requests" % (
        len(hosts), sum(len(h["devices"]) for h in hosts), len(requests)), file=sys.stderr)


def cmd_place(a):
    fleet = load(a.fleet, FLEET_FORMAT)
    reqdoc = load(a.requests, REQUESTS_FORMAT)
    numa = not a.no_numa
    dev_filter = device_filter(fleet["device_spec"])
    hosts = []
    for h in fleet["hosts"]:
        st = scheduler_stats(h, dev_filter, numa)
        if "pools" in h and [dict(p) for p in st.pools] != h["pools"]:
            raise SystemExit("%s: the fleet file's pools are not Nova's pools for its devices"
                             % h["name"])
        hosts.append(st)
    work = []
    for r in reqdoc["requests"]:
        reqs = [objects.InstancePCIRequest(
            count=p["count"], spec=p["spec"], alias_name=p["alias_name"],
            numa_policy=p["numa_policy"], request_id=str(uuid.uuid4()))
            for p in r["pci_requests"]]
        cells = None
        if numa and r["numa_cells"] is not None:
            cells = [objects.InstanceNUMACell(id=c, cpuset=set(), pcpuset=set(), memory=0)
                     for c in r["numa_cells"]]
        work.append((reqs, cells))

    placements = []
    calls = 0
    progress = a.progress
    t0 = time.perf_counter()
    c0 = time.process_time()
    for n, (reqs, cells) in enumerate(work):
        for i, h in enumerate(hosts):
            calls += 1
            if h.support_requests(reqs, cells):
                h.apply_requests(reqs, cells)
                placements.append(i)
                break
        else:
            placements.append(-1)
        if progress and (n + 1) % progress == 0:
            print("  %d requests, %d support_requests calls, %.1f s" % (
                n + 1, calls, time.perf_counter() - t0), file=sys.stderr)
    loop_s = time.perf_counter() - t0
    cpu_s = time.process_time() - c0

    digest = hashlib.sha256(",".join(str(i) for i in placements).encode()).hexdigest()
    placed = sum(1 for i in placements if i >= 0)
    failed = len(placements) - placed
    names = [h["name"] for h in fleet["hosts"]]
    if a.out:
        with open(a.out, "w") as f:
            f.write(dumps({"format": PLACEMENTS_FORMAT, "hosts": names})[:-1]
                    + ',\n"placements":' + dumps(placements) + ","
                    + dumps({"placed": placed, "failed": failed,
                             "placements_sha256": digest})[1:] + "\n")
    print(dumps({"placed": placed, "failed": failed, "placements_sha256": digest,
                 "loop_s": round(loop_s, 4),
                 "placements_per_s": round(len(placements) / loop_s, 1) if loop_s else None,
                 "hosts": len(hosts), "requests": len(placements), "numa": numa,
                 "loop_cpu_s": round(cpu_s, 4), "support_calls": calls,
                 "us_per_call": round(loop_s / calls * 1e6, 1) if calls else None}))


def main():
    ap = argparse.ArgumentParser(prog="nova-oracle")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--hosts", type=int, required=True)
    g.add_argument("--requests", type=int, required=True)
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--profile", choices=sorted(MIXES), required=True)
    g.add_argument("--out-fleet", required=True)
    g.add_argument("--out-requests", required=True)
    g.add_argument("--devices-per-host", type=int)
    p = sub.add_parser("place")
    p.add_argument("--fleet", required=True)
    p.add_argument("--requests", required=True)
    p.add_argument("--out")
    p.add_argument("--no-numa", action="store_true",
                   help="timing only: host numa_topology None and every request's numa_cells None")
    p.add_argument("--progress", type=int, default=0, metavar="N",
                   help="print the elapsed time every N requests to stderr")
    a = ap.parse_args()
    {"generate": cmd_generate, "place": cmd_place}[a.cmd](a)


if __name__ == "__main__":
    main()
