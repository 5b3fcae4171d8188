package org.pcipass.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pcipass.PcipassException;
import org.pcipass.apply.JsonTree;
import org.pcipass.apply.PlanJson;
import org.pcipass.pci.PciAddress;
import org.pcipass.plan.HiddenDevice;

/**
 * The devices pcipass has hidden and where each came from, so that unhide returns each to exactly
 * its original driver, whatever happened to the daemons in between. They live in the {@link Store}
 * ({@code STATE/pcipass.db}); earlier releases kept them in {@code STATE/hidden.json}, which the
 * store imports once when it is created.
 */
public final class HiddenRegistry {
    /** The registry file of earlier releases (imported into the store, then renamed {@code hidden.json.imported}). */
    public static final String FILE = "hidden.json";

    private HiddenRegistry() {}

    /**
     * The registry: from the store when it exists, else from an earlier release's hidden.json, else
     * empty. Creates nothing (a read-only command's view).
     */
    public static Map<PciAddress, HiddenDevice> load(Path stateDir) {
        try (Store store = Store.openIfExists(stateDir)) {
            if (store != null) {
                return store.hidden();
            }
        }
        Map<PciAddress, HiddenDevice> json = readJson(stateDir.resolve(FILE));
        return json == null ? new TreeMap<>() : json;
    }

    /** The registry becomes {@code hidden} (the store is created when missing). */
    public static void save(Path stateDir, Map<PciAddress, HiddenDevice> hidden) {
        try (Store store = Store.open(stateDir)) {
            store.commit(hidden, List.of(), List.of());
        }
    }

    /** An earlier release's hidden.json, by address; null when there is none. */
    static Map<PciAddress, HiddenDevice> readJson(Path file) {
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
            return null;
        } catch (IOException | IllegalArgumentException e) {
            throw new PcipassException("the state file " + file + " is garbled (" + e.getMessage().lines().findFirst()
                    .orElse("") + "); move it aside and run 'pcipass list' to see which devices are on stub drivers");
        }
    }
}
