package org.pcipass.cli;

import java.util.List;
import java.util.Map;
import org.pcipass.PcipassException;
import org.pcipass.host.HostPaths;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetStore;

/**
 * The fleet's part in {@code pcipass attach} on a host of a fleet (a database configured: {@code PCIPASS_DB}
 * or {@code db =} in STATE/pcipass.conf): a device that another guest's claim holds on this host is
 * refused (exit 3), and after the attach the guest's own claim is consumed (it no longer expires). This
 * host's name in the fleet is its agent's: {@code host-name =} in pcipass.conf, else its hostname. With no
 * database configured, attach is the single host's and never looks.
 */
final class FleetAttach {
    private final FleetConfig config;
    private final String host;

    private FleetAttach(FleetConfig config, String host) {
        this.config = config;
        this.host = host;
    }

    /** The fleet hook for this command line, or null when no fleet database is configured. */
    static FleetAttach of(Args args, Context ctx, HostPaths paths) {
        FleetConfig config = FleetConfig.of(null, null, null, ctx.env(), paths.stateDir());
        if (!config.hasDb()) {
            return null;
        }
        config.db(); // a malformed URL is bad input before anything is done
        return new FleetAttach(config, AgentCommand.hostName(config.hostName(), paths.configRoot()));
    }

    /** Refuses (exit 3) when a claim in force holds one of {@code devices} on this host for another guest. */
    void check(String guest, List<String> devices) {
        try (FleetStore store = FleetStore.open(config.db(), "pcipass attach")) {
            for (FleetClaims.Claim c : new FleetClaims(store).claimsOn(host)) {
                if (!c.guest().equals(guest)) {
                    for (String d : devices) {
                        if (c.devices().contains(d)) {
                            throw new PcipassException.Refused(d + " is claimed in the fleet for guest " + c.guest()
                                    + " on " + host + (c.expires() == null ? "" : " until " + c.expires())
                                    + "; attach it to " + c.guest() + ", or release the claim first: pcipass fleet"
                                    + " release " + c.guest());
                        }
                    }
                }
            }
        }
    }

    /** Marks the guest's claim on this host consumed; a failure only warns (the attach is done). */
    void consume(String guest, List<String> devices, Context ctx) {
        try (FleetStore store = FleetStore.open(config.db(), "pcipass attach")) {
            Map<String, String> others = new FleetClaims(store).consume(guest, host, devices);
            if (!others.isEmpty()) {
                ctx.err().println("pcipass: warning: claimed meanwhile for other guests: " + others);
            }
        } catch (PcipassException e) {
            ctx.err().println("pcipass: warning: the attach is done, but its fleet claim was not marked consumed ("
                    + e.getMessage() + "); it expires unless attach runs again");
        }
    }
}
