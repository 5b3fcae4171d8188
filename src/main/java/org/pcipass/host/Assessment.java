package org.pcipass.host;

import java.util.List;
import java.util.Objects;

/** A device's verdict and the reasons for it, in words. */
public record Assessment(Verdict verdict, List<String> reasons) {
    public Assessment {
        Objects.requireNonNull(verdict, "verdict");
        reasons = List.copyOf(reasons);
    }
}
