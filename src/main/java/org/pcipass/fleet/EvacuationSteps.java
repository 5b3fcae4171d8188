package org.pcipass.fleet;

import java.util.ArrayList;
import java.util.List;
import org.pcipass.guest.ShellWord;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetHost;

/**
 * The steps that move one guest off a host, in order, each on the host it runs on: stop it, give its devices
 * back there, release its claim there, define it on the target without them, attach the held devices, start
 * it. Commands are libvirt's ({@code virsh}) and pcipass's; on a Xen host run by {@code xl}, {@code xl
 * shutdown}, {@code xl create} and the same pcipass commands with {@code --via xl} do the same. Every word
 * is a checked guest name or a canonical PCI address, quoted by {@link ShellWord} all the same.
 */
public final class EvacuationSteps {
    /** One step: the host it runs on, what it does, the command line for a person to run there. */
    public record Step(String host, String action, String command) {}

    private EvacuationSteps() {}

    /**
     * The steps for {@code guest}, whose {@code devices} are on {@code from} ({@code hadClaim}: under its
     * claim there), to the devices {@code held} for it elsewhere.
     */
    static List<Step> of(FleetHost from, String guest, List<String> devices, boolean hadClaim,
            FleetClaims.Claim held) {
        String g = ShellWord.quote(guest);
        String f = from.name();
        String t = held.host();
        List<Step> out = new ArrayList<>();
        out.add(new Step(f, from.up() ? "stop " + guest + " and wait until it is shut off (a guest with"
                + " passed-through devices cannot move live)" : "make sure " + guest + " is shut off (" + f
                + " is down)", "virsh shutdown " + g));
        out.add(new Step(f, "take its devices out of its definition and give them back to their host drivers",
                "pcipass detach " + g + " " + words(devices) + " --config --return"));
        if (hadClaim) {
            out.add(new Step(f, "release its claim on " + f, "pcipass fleet release " + g));
        }
        out.add(new Step(t, "define " + guest + " with its definition from " + f + " (virsh dumpxml " + guest
                + " there) less the <hostdev> entries of " + String.join(" ", devices), "virsh define " + g
                + ".xml"));
        out.add(new Step(t, "attach the devices held for it (an evacuation claim until " + held.expires()
                + "; attach there consumes it: it becomes " + guest + "'s claim on " + t + ")",
                "pcipass attach " + g + " " + words(held.devices()) + " --config"));
        out.add(new Step(t, "start " + guest, "virsh start " + g));
        return out;
    }

    private static String words(List<String> words) {
        List<String> out = new ArrayList<>();
        words.forEach(w -> out.add(ShellWord.quote(w)));
        return String.join(" ", out);
    }
}
