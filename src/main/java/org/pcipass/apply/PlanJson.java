package org.pcipass.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.DeviceState;
import org.pcipass.plan.HiddenDevice;
import org.pcipass.plan.Step;

/** Plans, steps and records as JSON: DESIGN.md's step ops, used by --json output and the journal alike. */
public final class PlanJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private PlanJson() {}

    public static ObjectNode step(Step s) {
        ObjectNode n = MAPPER.createObjectNode().put("op", s.op());
        if (s instanceof Step.Write w) {
            n.put("path", w.path()).put("value", w.value());
        } else if (s instanceof Step.ExpectDriver e) {
            n.put("device", e.device().toString()).put("driver", e.driver());
        } else if (s instanceof Step.Edit e) {
            n.put("file", e.file()).put("before", e.before()).put("after", e.after());
        } else if (s instanceof Step.Run r) {
            ArrayNode argv = n.putArray("argv");
            r.argv().forEach(argv::add);
        } else if (s instanceof Step.Wait w) {
            n.put("path", w.path());
        }
        return n;
    }

    public static ArrayNode steps(List<Step> steps) {
        ArrayNode a = MAPPER.createArrayNode();
        steps.forEach(s -> a.add(step(s)));
        return a;
    }

    /** @throws IllegalArgumentException naming what is wrong */
    public static Step step(JsonNode n) {
        String op = text(n, "op");
        return switch (op == null ? "" : op) {
            case "write" -> new Step.Write(required(n, "path"), required(n, "value"));
            case "expect-driver" -> new Step.ExpectDriver(PciAddress.parse(required(n, "device")), text(n, "driver"));
            case "edit" -> new Step.Edit(required(n, "file"), text(n, "before"), text(n, "after"));
            case "run" -> {
                List<String> argv = new ArrayList<>();
                n.path("argv").forEach(x -> argv.add(x.asText()));
                yield new Step.Run(argv);
            }
            case "wait" -> new Step.Wait(required(n, "path"));
            default -> throw new IllegalArgumentException("unknown step op '" + op + "'");
        };
    }

    public static ObjectNode state(DeviceState d) {
        return MAPPER.createObjectNode().put("address", d.address().toString()).put("driver", d.driver())
                .put("override", d.override()).put("module", d.module()).put("inPcibackSlots", d.inPcibackSlots());
    }

    public static DeviceState state(JsonNode n) {
        return new DeviceState(PciAddress.parse(required(n, "address")), text(n, "driver"), text(n, "override"),
                text(n, "module"), n.path("inPcibackSlots").asBoolean(false));
    }

    public static ObjectNode hidden(HiddenDevice h) {
        return MAPPER.createObjectNode().put("address", h.address().toString()).put("stub", h.stub())
                .put("originalDriver", h.originalDriver()).put("originalModule", h.originalModule())
                .put("vendorId", h.vendorId()).put("deviceId", h.deviceId()).put("persisted", h.persisted());
    }

    public static HiddenDevice hidden(JsonNode n) {
        return new HiddenDevice(PciAddress.parse(required(n, "address")), required(n, "stub"), text(n, "originalDriver"),
                text(n, "originalModule"), text(n, "vendorId"), text(n, "deviceId"), n.path("persisted").asBoolean(false));
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static String required(JsonNode n, String field) {
        String v = text(n, field);
        if (v == null) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return v;
    }
}
