package org.pcipass.host;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where this host's files are: the sysfs tree, the root every other host path hangs below
 * ({@code /etc}, {@code /proc}, {@code /dev}, {@code /lib/modules}), the state dir, and the pci.ids
 * the user named (null: the default search order).
 */
public record HostPaths(Path sysfs, Path configRoot, Path stateDir, Path pciIds) {
    public HostPaths {
        Objects.requireNonNull(sysfs, "sysfs");
        Objects.requireNonNull(configRoot, "configRoot");
        Objects.requireNonNull(stateDir, "stateDir");
    }
}
