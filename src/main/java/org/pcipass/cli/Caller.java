package org.pcipass.cli;

import java.util.Map;
import org.pcipass.host.HostPaths;
import org.pcipass.plan.Plan;
import org.pcipass.store.AuditEntry;

/**
 * Who runs a mutating command, for the audit log, and what the door it came through (the CLI or the
 * API server) wants to see of its plan. The CLI's caller is the Unix user; the server's is a token.
 */
public interface Caller {
    /** The audit log's actor: a token's name, or the Unix user. */
    String actor();

    /** The audit log's {@code via}: {@code cli} or {@code api}. */
    String via();

    /** The API client's IP address, for the audit log; null for the CLI. */
    default String address() {
        return null;
    }

    /**
     * Sees every plan made, before it is printed (a dry run) or applied (then under the host lock,
     * after a fresh scan); throwing stops the command (a real run's refusal is audited).
     */
    default void planned(Plan plan, HostPaths paths, boolean dryRun) {}

    /** A refusal that {@link #planned} raises when the plan is not the one the caller confirmed: audited as {@code stale}. */
    class StalePlan extends org.pcipass.PcipassException.Refused {
        private static final long serialVersionUID = 1L;

        public StalePlan(String message) {
            super(message);
        }
    }

    /** A caller that is only who it is: the CLI's user, or an API token reading. Extend it to see plans. */
    class Named implements Caller {
        private final String actor;
        private final String via;
        private final String address;

        public Named(String actor, String via, String address) {
            this.actor = actor;
            this.via = via;
            this.address = address;
        }

        @Override
        public String actor() {
            return actor;
        }

        @Override
        public String via() {
            return via;
        }

        @Override
        public String address() {
            return address;
        }
    }

    /** Sees each audit row once it is stored. */
    default void audited(AuditEntry entry) {}

    /**
     * The CLI's caller: the Unix user this process runs as; under sudo also the user who ran sudo
     * ({@code root (sudo from alice)}), which is what an admin reading the log wants to know.
     */
    static Caller cli(Map<String, String> env) {
        String user = System.getProperty("user.name", "unknown");
        String sudo = env.get("SUDO_USER");
        String actor = sudo == null || sudo.isEmpty() || sudo.equals(user) ? user : user + " (sudo from " + sudo + ")";
        return new Named(actor, "cli", null);
    }
}
