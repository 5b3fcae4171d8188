package org.pcipass.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
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
            Object root = JsonTree.parse(Files.readString(file));
            if (!(root instanceof Map<?, ?> m) || !(m.get("hidden") instanceof List<?> list)) {
                throw new IllegalArgumentException("no 'hidden' array");
            }
            for (Object n : list) {
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
        List<Object> list = new ArrayList<>();
        new TreeMap<>(hidden).values().forEach(h -> list.add(PlanJson.hidden(h)));
        Map<String, Object> root = JsonTree.object();
        root.put("version", 1);
        root.put("hidden", list);
        String text = JsonTree.pretty(root);
        StateFiles.writeAtomically(stateDir.resolve(FILE), text + "\n");
    }
}
