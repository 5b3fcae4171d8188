package org.pcipass.host;

import java.util.Objects;

/** One line of {@code pcipass check}: what was checked, how it came out, and the fix. */
public record CheckResult(String name, Status status, String detail, String fix) {
    public enum Status { PASS, WARN, FAIL, INFO }

    public CheckResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
    }
}
