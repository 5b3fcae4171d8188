package org.pcipass.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.apply.PlanJson;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/**
 * The devices pcipass has hidden and where each came from ({@code STATE/hidden.json}), so that
 * unhide returns each to exactly its original driver, whatever happened to the daemons in between.
 */
public final class HiddenRegistry {
    public static final String FILE = "hidden.json";

    private HiddenRegistry() {}

    /** The registry; empty when the state dir or the file does not exist yet (nothing is created). */
    public static Map<PciAddress, HiddenDevice> load(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        Map<PciAddress, HiddenDevice> out = new TreeMap<>();
        try {
            JsonNode root = PlanJson.MAPPER.readTree(Files.readString(file));
            if (root == null || !root.path("hidden").isArray()) {
                throw new IllegalArgumentException("no 'hidden' array");
            }
            for (JsonNode n : root.get("hidden")) {
                HiddenDevice h = PlanJson.hidden(n);
                out.put(h.address(), h);
            }
            return out;
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException | IllegalArgumentException e) {
            throw new PcipassException("the state file " + file + " is garbled (" + e.getMessage().lines().findFirst()
                    .orElse("") + "); move it aside and run 'pcipass list' to see which devices are on stub drivers");
        }
    }

    public static void save(Path stateDir, Map<PciAddress, HiddenDevice> hidden) {
        ArrayNode list = PlanJson.MAPPER.createArrayNode();
        new TreeMap<>(hidden).values().forEach(h -> list.add(PlanJson.hidden(h)));
        String text = PlanJson.MAPPER.createObjectNode().put("version", 1).set("hidden", list).toPrettyString();
        StateFiles.writeAtomically(stateDir.resolve(FILE), text + "\n");
    }
}
