package org.pcipass.host;

/** Whether a device can go to a guest; DESIGN.md's order, first match wins. */
public enum Verdict {
    NOT_ENDPOINT("not-endpoint"),
    HOST_CRITICAL("host-critical"),
    GROUP_BLOCKED("group-blocked"),
    ASSIGNED("assigned"),
    NO_IOMMU("no-iommu"),
    READY("ready"),
    ASSIGNABLE("assignable");

    private final String json;

    Verdict(String json) {
        this.json = json;
    }

    /** The name in JSON and tables ({@code host-critical}). */
    public String json() {
        return json;
    }
}
