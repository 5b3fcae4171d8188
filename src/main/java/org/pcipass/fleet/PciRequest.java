package org.pcipass.fleet;

import java.util.List;
import java.util.Map;

/**
 * One of Nova's InstancePCIRequests: {@code count} devices matching any of the {@code spec} dicts (each
 * key equal, strings compared case-insensitively), under {@code numaPolicy} (null means legacy).
 */
public record PciRequest(String aliasName, int count, String numaPolicy, List<Map<String, String>> spec) {
    public PciRequest {
        spec = List.copyOf(spec);
    }
}
