package org.pcipass.store;

import java.time.Instant;
import java.util.List;
import org.pcipass.pci.PciAddress;

/**
 * One row of the audit log: who asked for which change, through which door, and how it ended.
 *
 * @param id 0 for an entry not yet stored; the store numbers rows 1, 2, 3… in the order they were written
 * @param actor a token's name (the API) or the Unix user (the CLI)
 * @param via {@code cli} or {@code api}
 * @param address the API client's IP address, null for the CLI
 * @param action hide, unhide, attach, detach
 * @param guest the guest of an attach or detach, else null
 * @param result {@code done}, {@code rolled-back}, {@code refused}, {@code failed} or {@code stale}
 * @param exit the command's exit code (0, 1 or 3)
 * @param error the one-line error, null when done
 * @param command the command line (the CLI) or its equivalent (the API)
 * @param plan the plan's steps as JSON, null when no plan was made (a refusal while planning)
 */
public record AuditEntry(long id, Instant at, String actor, String via, String address, String action,
        List<PciAddress> devices,
        String guest, String result, int exit, String error, String command, String plan) {
    public AuditEntry {
        devices = List.copyOf(devices);
    }
}
