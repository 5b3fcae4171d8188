package org.pcipass.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcipass.guest.Assignment;
import org.pcipass.guest.Mode;
import org.pcipass.store.AssignmentChange;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.DeviceState;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.plan.Step;

/** Plans, steps and records as JSON: DESIGN.md's step ops, used by --json output and the journal alike. */
public final class PlanJson {
    private PlanJson() {}

    public static Map<String, Object> step(Step s) {
        Map<String, Object> n = JsonTree.object();
        n.put("op", s.op());
        if (s instanceof Step.Write w) {
            n.put("path", w.path());
            n.put("value", w.value());
        } else if (s instanceof Step.ExpectDriver e) {
            n.put("device", e.device().toString());
            n.put("driver", e.driver());
        } else if (s instanceof Step.Edit e) {
            n.put("file", e.file());
            n.put("before", e.before());
            n.put("after", e.after());
        } else if (s instanceof Step.Run r) {
            n.put("argv", new ArrayList<Object>(r.argv()));
        } else if (s instanceof Step.Wait w) {
            n.put("path", w.path());
        } else if (s instanceof Step.Attach a) {
            guestStep(n, a.backend(), a.connect(), a.guest(), a.device(), a.mode());
        } else if (s instanceof Step.Detach d) {
            guestStep(n, d.backend(), d.connect(), d.guest(), d.device(), d.mode());
            n.put("timeout", d.timeoutSeconds());
        }
        return n;
    }

    private static void guestStep(Map<String, Object> n, String backend, String connect, String guest, PciAddress device,
            Mode mode) {
        n.put("backend", backend);
        n.put("connect", connect);
        n.put("guest", guest);
        n.put("device", device.toString());
        n.put("mode", mode.text());
    }

    public static List<Object> steps(List<Step> steps) {
        List<Object> a = new ArrayList<>();
        steps.forEach(s -> a.add(step(s)));
        return a;
    }

    /** @throws IllegalArgumentException naming what is wrong */
    public static Step step(Object json) {
        Map<String, Object> n = JsonTree.asObject(json, "a step");
        String op = JsonTree.text(n, "op");
        return switch (op == null ? "" : op) {
            case "write" -> new Step.Write(required(n, "path"), required(n, "value"));
            case "expect-driver" -> new Step.ExpectDriver(PciAddress.parse(required(n, "device")), JsonTree.text(n, "driver"));
            case "edit" -> new Step.Edit(required(n, "file"), JsonTree.text(n, "before"), JsonTree.text(n, "after"));
            case "run" -> {
                List<String> argv = new ArrayList<>();
                JsonTree.list(n, "argv").forEach(x -> argv.add(x == null ? "null" : String.valueOf(x)));
                yield new Step.Run(argv);
            }
            case "wait" -> new Step.Wait(required(n, "path"));
            case "attach" -> new Step.Attach(required(n, "backend"), JsonTree.text(n, "connect"), required(n, "guest"),
                    PciAddress.parse(required(n, "device")), Mode.parse(required(n, "mode")));
            case "detach" -> new Step.Detach(required(n, "backend"), JsonTree.text(n, "connect"), required(n, "guest"),
                    PciAddress.parse(required(n, "device")), Mode.parse(required(n, "mode")),
                    n.get("timeout") == null ? 30 : JsonTree.integer(n, "timeout"));
            default -> throw new IllegalArgumentException("unknown step op '" + op + "'");
        };
    }

    public static Map<String, Object> state(DeviceState d) {
        Map<String, Object> n = JsonTree.object();
        n.put("address", d.address().toString());
        n.put("driver", d.driver());
        n.put("override", d.override());
        n.put("module", d.module());
        n.put("inPcibackSlots", d.inPcibackSlots());
        return n;
    }

    public static DeviceState state(Object json) {
        Map<String, Object> n = JsonTree.asObject(json, "a device state");
        return new DeviceState(PciAddress.parse(required(n, "address")), JsonTree.text(n, "driver"),
                JsonTree.text(n, "override"), JsonTree.text(n, "module"), JsonTree.bool(n, "inPcibackSlots", false));
    }

    public static Map<String, Object> hidden(HiddenDevice h) {
        Map<String, Object> n = JsonTree.object();
        n.put("address", h.address().toString());
        n.put("stub", h.stub());
        n.put("originalDriver", h.originalDriver());
        n.put("originalModule", h.originalModule());
        n.put("vendorId", h.vendorId());
        n.put("deviceId", h.deviceId());
        n.put("persisted", h.persisted());
        if (h.adopted()) {
            n.put("adopted", true); // written only when true: registries of earlier releases read the same
        }
        return n;
    }

    public static HiddenDevice hidden(Object json) {
        Map<String, Object> n = JsonTree.asObject(json, "a hidden device");
        return new HiddenDevice(PciAddress.parse(required(n, "address")), required(n, "stub"),
                JsonTree.text(n, "originalDriver"), JsonTree.text(n, "originalModule"), JsonTree.text(n, "vendorId"),
                JsonTree.text(n, "deviceId"), JsonTree.bool(n, "persisted", false), JsonTree.bool(n, "adopted", false));
    }

    /** An assignment as JSON: {device, guest, backend, connect, mode, state, since}. */
    public static Map<String, Object> assignment(Assignment a) {
        Map<String, Object> n = JsonTree.object();
        n.put("device", a.device().toString());
        n.put("guest", a.guest());
        n.put("backend", a.backend());
        n.put("connect", a.connect());
        n.put("mode", a.mode().text());
        n.put("state", a.state());
        n.put("since", a.since().toString());
        return n;
    }

    public static Assignment assignment(Object json) {
        Map<String, Object> n = JsonTree.asObject(json, "an assignment");
        return new Assignment(PciAddress.parse(required(n, "device")), required(n, "guest"), required(n, "backend"),
                JsonTree.text(n, "connect"), Mode.parse(required(n, "mode")), required(n, "state"),
                java.time.Instant.parse(required(n, "since")));
    }

    public static List<Object> assignmentChanges(List<AssignmentChange> changes) {
        List<Object> out = new ArrayList<>();
        for (AssignmentChange c : changes) {
            Map<String, Object> n = JsonTree.object();
            if (c instanceof AssignmentChange.Put p) {
                n.put("put", assignment(p.a()));
            } else {
                n.put("remove", c.device().toString());
            }
            out.add(n);
        }
        return out;
    }

    public static AssignmentChange assignmentChange(Object json) {
        Map<String, Object> n = JsonTree.asObject(json, "an assignment change");
        if (n.get("put") != null) {
            return new AssignmentChange.Put(assignment(n.get("put")));
        }
        return new AssignmentChange.Remove(PciAddress.parse(required(n, "remove")));
    }

    static String required(Map<String, Object> n, String field) {
        String v = JsonTree.text(n, field);
        if (v == null) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return v;
    }
}
