package org.pcipass.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.pcipass.guest.Domain;
import org.pcipass.guest.GuestBackend;
import org.pcipass.guest.GuestBackends;
import org.pcipass.guest.GuestException;
import org.pcipass.guest.GuestName;
import org.pcipass.guest.Hostdev;
import org.pcipass.guest.LibvirtUri;
import org.pcipass.guest.Mode;
import org.pcipass.pci.PciAddress;
import org.pcipass.testing.FakeLibvirtState.Data;
import org.pcipass.testing.FakeLibvirtState.Dev;
import org.pcipass.testing.FakeLibvirtState.Dom;

/**
 * A fake libvirt, for tests: a {@link GuestBackend} that answers as {@code LibvirtBackend} on a real
 * libvirtd would (the qemu and libxl drivers' rules and error texts, in the backend's message form),
 * with its state on disk so that child JVMs share it (see {@link FakeLibvirtState}).
 *
 * <p>As libvirt: a live attach or detach needs a running domain ("domain is not running"), a config
 * one a persistent domain ("transient domains do not have any persistent config"); a device in a
 * running domain cannot be attached live again ("PCI device … is in use by driver QEMU|xenlight,
 * domain …"), nor twice into one definition; a detach of a device the domain does not hold fails. A
 * live detach returns before the guest lets go: by default the device leaves at once; faults make it
 * never leave, or leave after N reads of the live devices. Other faults: an attach error, the domain
 * vanishing.
 *
 * <pre>
 * FakeLibvirt lv = FakeLibvirt.at(dir);
 * lv.define("web1").xen().pv().passthrough().running();
 * lv.define("db1").kvm().running().hostdev(PciAddress.parse("0000:3b:00.0"), true); // another tool's
 * lv.edit("web1").detachLeavesAfterReads(3);
 * GuestBackends backends = lv.backends();   // for Context / the CLI
 * </pre>
 */
public final class FakeLibvirt implements GuestBackend {
    /** The URI a fake made with {@link #at} reports until opened through {@link #backends()} with another. */
    public static final String DEFAULT_URI = "test:///fake-libvirt";
    /** Environment variable naming a fake's directory (for a child JVM's test main to pick it up). */
    public static final String ENV = "PCIPASS_FAKE_LIBVIRT";

    private final FakeLibvirtState state;
    private final String uri;

    private FakeLibvirt(FakeLibvirtState state, String uri) {
        this.state = state;
        this.uri = uri;
    }

    /** The fake whose state is in {@code dir} (created when missing; an existing one is kept). */
    public static FakeLibvirt at(Path dir) {
        return new FakeLibvirt(new FakeLibvirtState(dir), DEFAULT_URI);
    }

    /** The fake named by {@link #ENV}, or null when it is unset. */
    public static FakeLibvirt fromEnvironment(Map<String, String> env) {
        String dir = env.get(ENV);
        return dir == null || dir.isBlank() ? null : at(Path.of(dir));
    }

    public Path dir() {
        return state.dir();
    }

    // ---- set-up ---------------------------------------------------------------------------------

    /** Defines a persistent, shut-off KVM domain (replacing one of that name); the builder changes it. */
    public FakeLibvirtDomain define(String name) {
        state.update(d -> d.domains.put(name, new Dom()));
        return new FakeLibvirtDomain(state, name);
    }

    /** The builder of an existing domain, to change it or inject a fault. */
    public FakeLibvirtDomain edit(String name) {
        state.read(d -> dom(d, name));
        return new FakeLibvirtDomain(state, name);
    }

    /** The domain disappears (destroyed and undefined behind pcipass's back). */
    public void remove(String name) {
        state.update(d -> d.domains.remove(name));
    }

    /** From now on opening fails: libvirt's message, e.g. "Failed to connect socket to '/var/run/libvirt/libvirt-sock': …". */
    public FakeLibvirt unreachable(String libvirtMessage) {
        state.update(d -> d.unreachable = libvirtMessage);
        return this;
    }

    /** What {@link #xenIommuActive()} answers (libvirt itself never knows: null by default). */
    public FakeLibvirt xenIommuActive(Boolean active) {
        state.update(d -> d.xenIommuActive = active);
        return this;
    }

    /** Every call seen, oldest first: {@code open URI}, {@code attach GUEST DEVICE MODE}, {@code detach GUEST DEVICE MODE}. */
    public List<String> calls() {
        return state.read(d -> List.copyOf(d.calls));
    }

    /** A factory whose {@code libvirt} backend is this fake on the URI asked for; no xl here ({@code xlAnswers} false). */
    public GuestBackends backends() {
        return new GuestBackends() {
            @Override
            public GuestBackend open(String backend, String connect) {
                if (!backend.equals(LIBVIRT)) {
                    throw new GuestException("FakeLibvirt plays libvirt only, not " + backend);
                }
                LibvirtUri.check(connect);
                String refusal = state.update(d -> {
                    d.calls.add("open " + connect);
                    return d.unreachable;
                });
                if (refusal != null) {
                    throw new GuestException("cannot connect to libvirt at " + connect + ": " + refusal
                            + "; check that libvirtd (or virtqemud/virtxend) runs and that this user may manage it,"
                            + " or name another URI with --connect");
                }
                return new FakeLibvirt(state, connect);
            }

            @Override
            public boolean xlAnswers() {
                return false;
            }
        };
    }

    // ---- GuestBackend ---------------------------------------------------------------------------

    @Override
    public String name() {
        return GuestBackends.LIBVIRT;
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public Domain domain(String guest) {
        GuestName.check(guest);
        return state.read(d -> {
            Dom x = d.domains.get(guest);
            if (x == null) {
                return null;
            }
            boolean xen = x.hypervisor.equals("xen");
            List<Dev> shown = x.running ? x.live : x.config;
            return new Domain(guest, x.hypervisor, x.running, x.persistent, xen && x.pv,
                    xen ? x.passthrough || !shown.isEmpty() : null, x.osId);
        });
    }

    @Override
    public void attach(String guest, PciAddress device, Mode mode) {
        GuestName.check(guest);
        String what = "attaching " + device + " to " + guest + " (" + mode.text() + ")";
        String refusal = state.update(d -> {
            d.calls.add("attach " + guest + " " + device + " " + mode.text());
            Dom x = d.domains.get(guest);
            String problem = x == null ? "Domain not found: no domain with matching name '" + guest + "'"
                    : FakeLibvirtRules.attachProblem(d, guest, x, device, mode);
            if (problem == null) {
                if (mode.live()) {
                    x.live.add(new Dev(device.toString(), false));
                }
                if (mode.config()) {
                    x.config.add(new Dev(device.toString(), false));
                }
                vanishIfAsked(d, guest, x, "attach");
            }
            return problem;
        });
        fail(what, refusal);
    }

    @Override
    public void detach(String guest, PciAddress device, Mode mode) {
        GuestName.check(guest);
        String what = "detaching " + device + " from " + guest + " (" + mode.text() + ")";
        String refusal = state.update(d -> {
            d.calls.add("detach " + guest + " " + device + " " + mode.text());
            Dom x = d.domains.get(guest);
            String problem = x == null ? "Domain not found: no domain with matching name '" + guest + "'"
                    : FakeLibvirtRules.detachProblem(x, device, mode);
            if (problem == null) {
                FakeLibvirtRules.detach(x, device, mode);
                vanishIfAsked(d, guest, x, "detach");
            }
            return problem;
        });
        fail(what, refusal);
    }

    /** Live reads count down a slow detach: a device leaving after N reads is listed N more times. */
    @Override
    public Set<PciAddress> devices(String guest, boolean live) {
        GuestName.check(guest);
        return state.update(d -> {
            Dom x = d.domains.get(guest);
            if (x == null || (live ? !x.running : !x.persistent)) {
                return Set.<PciAddress>of();
            }
            if (live) {
                FakeLibvirtRules.countDownLeaving(x);
            }
            Set<PciAddress> out = new LinkedHashSet<>();
            (live ? x.live : x.config).forEach(v -> out.add(PciAddress.parse(v.address)));
            return Collections.unmodifiableSet(out);
        });
    }

    @Override
    public List<Hostdev> assigned() {
        return state.read(d -> {
            Map<String, Hostdev> found = new LinkedHashMap<>();
            d.domains.forEach((name, x) -> {
                if (x.running) {
                    x.live.forEach(v -> merge(found, name, v, true));
                }
                if (x.persistent) {
                    x.config.forEach(v -> merge(found, name, v, false));
                }
            });
            return List.copyOf(found.values());
        });
    }

    @Override
    public Boolean xenIommuActive() {
        return state.read(d -> d.xenIommuActive);
    }

    private static void merge(Map<String, Hostdev> found, String guest, Dev v, boolean live) {
        PciAddress a = PciAddress.parse(v.address);
        Hostdev old = found.get(guest + "\n" + a);
        found.put(guest + "\n" + a, new Hostdev(guest, a, live || old != null && old.live(),
                !live || old != null && old.config(), v.managed || old != null && old.managed()));
    }

    private static void vanishIfAsked(Data d, String guest, Dom x, String op) {
        if (op.equals(x.vanishOn)) {
            d.domains.remove(guest);
        }
    }

    private void fail(String what, String libvirtMessage) {
        if (libvirtMessage != null) {
            throw new GuestException(what + " on " + uri + " failed: " + libvirtMessage);
        }
    }

    static Dom dom(Data d, String name) {
        Dom x = d.domains.get(name);
        if (x == null) {
            throw new IllegalArgumentException("FakeLibvirt has no domain " + name + "; define it first");
        }
        return x;
    }

    /** The names of the fake's domains, in definition order. */
    public List<String> domainNames() {
        return state.read(d -> new ArrayList<>(d.domains.keySet()));
    }

    @Override
    public String toString() {
        return "FakeLibvirt[" + state.dir() + ", " + Objects.toString(uri) + "]";
    }
}
