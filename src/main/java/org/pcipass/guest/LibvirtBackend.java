package org.pcipass.guest;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.libvirt.Connect;
import org.libvirt.Domain.DeviceModifyFlags;
import org.libvirt.Domain.XMLFlags;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.pcipass.pci.PciAddress;

/**
 * The libvirt backend: libvirt-java over JNA on libvirt's C library ({@code libvirt.so.0}, Debian's
 * libvirt0). Nothing of libvirt-java, JNA or the C library is loaded before {@link #open}, so the
 * other commands never pay for it; {@link LibvirtBackendLoader} loads it once per JVM and turns a
 * missing library into one line.
 *
 * <p>Attach and detach send {@link HostdevXml}'s element to {@code virDomainAttachDeviceFlags} /
 * {@code virDomainDetachDeviceFlags} with {@code VIR_DOMAIN_AFFECT_LIVE} and/or {@code _CONFIG};
 * what a domain holds is read back from its XML (live: flags 0; persistent: {@code
 * VIR_DOMAIN_XML_INACTIVE}). Each libvirt error becomes a {@link GuestException} quoting libvirt's
 * message in one line with the connection URI.
 */
public final class LibvirtBackend implements GuestBackend {
    private final String uri;
    private Connect conn;

    private LibvirtBackend(String uri, Connect conn) {
        this.uri = uri;
        this.conn = conn;
    }

    /**
     * Connects read-write to {@code uri}.
     *
     * @throws org.pcipass.PcipassException.BadInput for a URI that is empty, over-long or holds a control
     *     character (checked before anything is loaded)
     * @throws GuestException when libvirt's C library is missing or libvirt cannot be reached at {@code uri}
     */
    public static LibvirtBackend open(String uri) {
        LibvirtUri.check(uri);
        LibvirtBackendLoader.load();
        try {
            return new LibvirtBackend(uri, new Connect(uri, false));
        } catch (LibvirtException e) {
            throw new GuestException("cannot connect to libvirt at " + uri + ": " + message(e)
                    + "; check that libvirtd (or virtqemud/virtxend) runs and that this user may manage it,"
                    + " or name another URI with --connect", e);
        }
    }

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
        org.libvirt.Domain d = lookup(guest);
        if (d == null) {
            return null;
        }
        try {
            boolean running = read("reading domain " + guest, () -> d.isActive() == 1);
            boolean persistent = read("reading domain " + guest, () -> d.isPersistent() == 1);
            DomainXml x = xml(d, guest, 0);
            // like xl: a domain created with PCI devices (or with passthrough on) can take hot-plugged ones
            Boolean hotplugReady = x.xen() ? x.xenPassthrough() || !x.hostdevs().isEmpty() : null;
            return new Domain(x.name(), hypervisor(x.type()), running, persistent, x.paravirtualized(),
                    hotplugReady, x.osId());
        } catch (Gone gone) {
            return null;
        } finally {
            free(d);
        }
    }

    @Override
    public void attach(String guest, PciAddress device, Mode mode) {
        change(guest, device, mode, true);
    }

    @Override
    public void detach(String guest, PciAddress device, Mode mode) {
        change(guest, device, mode, false);
    }

    @Override
    public Set<PciAddress> devices(String guest, boolean live) {
        GuestName.check(guest);
        org.libvirt.Domain d = lookup(guest);
        if (d == null) {
            return Set.of();
        }
        try {
            String what = "reading domain " + guest;
            boolean holds = live ? read(what, () -> d.isActive() == 1) : read(what, () -> d.isPersistent() == 1);
            if (!holds) {
                return Set.of();
            }
            return Collections.unmodifiableSet(new LinkedHashSet<>(xml(d, guest, live ? 0 : XMLFlags.INACTIVE)
                    .devices()));
        } catch (Gone gone) {
            return Set.of();
        } finally {
            free(d);
        }
    }

    /**
     * Every domain's PCI devices, active domains (live XML, and inactive XML when persistent) and
     * defined ones (inactive XML). A domain that goes away while it is being read is skipped.
     */
    @Override
    public List<Hostdev> assigned() {
        Map<String, Hostdev> found = new LinkedHashMap<>();
        for (int id : call("listing running domains", () -> connection().listDomains())) {
            org.libvirt.Domain d = absentAsNull(() -> connection().domainLookupByID(id), "looking up domain id " + id);
            if (d != null) {
                readAssigned(d, true, found);
            }
        }
        for (String name : call("listing defined domains", () -> connection().listDefinedDomains())) {
            org.libvirt.Domain d = absentAsNull(() -> connection().domainLookupByName(name), "looking up domain " + name);
            if (d != null) {
                readAssigned(d, false, found);
            }
        }
        return List.copyOf(found.values());
    }

    @Override
    public void close() {
        Connect c = conn;
        conn = null;
        if (c != null) {
            try {
                c.close();
            } catch (LibvirtException e) {
                // nothing is left to do with a connection that will not close
            }
        }
    }

    private void change(String guest, PciAddress device, Mode mode, boolean attach) {
        GuestName.check(guest);
        String what = (attach ? "attaching " + device + " to " : "detaching " + device + " from ") + guest + " ("
                + mode.text() + ")";
        org.libvirt.Domain d = lookup(guest);
        if (d == null) {
            throw new GuestException(what + " on " + uri + " failed: libvirt has no domain named " + guest);
        }
        try {
            DomainXml x;
            try {
                x = xml(d, guest, 0);
            } catch (Gone gone) {
                throw new GuestException(what + " on " + uri + " failed: libvirt has no domain named " + guest);
            }
            String hostdev = HostdevXml.hostdev(device, x.xen(), false);
            int flags = (mode.live() ? DeviceModifyFlags.LIVE : 0) | (mode.config() ? DeviceModifyFlags.CONFIG : 0);
            call(what, () -> {
                if (attach) {
                    d.attachDeviceFlags(hostdev, flags);
                } else {
                    d.detachDeviceFlags(hostdev, flags);
                }
                return null;
            });
        } finally {
            free(d);
        }
    }

    /** Adds what {@code d} holds to {@code found} and frees it; a domain gone meanwhile adds nothing more. */
    private void readAssigned(org.libvirt.Domain d, boolean active, Map<String, Hostdev> found) {
        try {
            String name = read("reading a domain's name", d::getName);
            if (active) {
                xml(d, name, 0).hostdevs().forEach(h -> merge(found, name, h, true));
            }
            if (!active || read("reading domain " + name, () -> d.isPersistent() == 1)) {
                xml(d, name, XMLFlags.INACTIVE).hostdevs().forEach(h -> merge(found, name, h, false));
            }
        } catch (Gone gone) {
            // stopped (transient) or undefined while being read: it holds nothing now
        } finally {
            free(d);
        }
    }

    private static void merge(Map<String, Hostdev> found, String guest, DomainXml.PciHostdev h, boolean live) {
        String key = guest + "\n" + h.device();
        Hostdev old = found.get(key);
        boolean wasLive = old != null && old.live();
        boolean wasConfig = old != null && old.config();
        boolean managed = h.managed() || old != null && old.managed();
        found.put(key, new Hostdev(guest, h.device(), wasLive || live, wasConfig || !live, managed));
    }

    /** The domain, or null when libvirt has none of that name (VIR_ERR_NO_DOMAIN; any other error is thrown). */
    private org.libvirt.Domain lookup(String guest) {
        return absentAsNull(() -> connection().domainLookupByName(guest), "looking up domain " + guest);
    }

    /** @throws Gone when the domain no longer exists */
    private DomainXml xml(org.libvirt.Domain d, String guest, int flags) {
        String what = "reading the " + (flags == 0 ? "" : "inactive ") + "XML of domain " + guest;
        String text = read(what, () -> d.getXMLDesc(flags));
        try {
            return DomainXml.parse(text);
        } catch (IllegalArgumentException e) {
            throw new GuestException(what + " on " + uri + " failed: " + oneLine(e.getMessage()), e);
        }
    }

    /** A call on a domain that may go away meanwhile: VIR_ERR_NO_DOMAIN is {@link Gone}, any other error thrown. */
    private <T> T read(String what, LibvirtCall<T> c) {
        T value = absentAsNull(c, what);
        if (value == null) {
            throw new Gone();
        }
        return value;
    }

    /** A libvirt call; VIR_ERR_NO_DOMAIN (the domain does not exist, or went away) gives null. */
    private <T> T absentAsNull(LibvirtCall<T> c, String what) {
        try {
            return c.call();
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return null;
            }
            throw failure(what, e);
        }
    }

    private <T> T call(String what, LibvirtCall<T> c) {
        try {
            return c.call();
        } catch (LibvirtException e) {
            throw failure(what, e);
        }
    }

    private GuestException failure(String what, LibvirtException e) {
        return new GuestException(what + " on " + uri + " failed: " + message(e), e);
    }

    /** The open connection (tests in this package define domains on the test driver through it). */
    Connect connection() {
        if (conn == null) {
            throw new IllegalStateException("the libvirt connection to " + uri + " is closed");
        }
        return conn;
    }

    private static void free(org.libvirt.Domain d) {
        try {
            d.free();
        } catch (LibvirtException e) {
            // a reference that will not be freed costs a little memory in a short-lived process
        }
    }

    /** libvirt's {@code <domain type>} as {@link Domain#hypervisor()} names it: {@code qemu} counts as kvm. */
    static String hypervisor(String type) {
        return type.equals("qemu") ? "kvm" : type;
    }

    /** libvirt's message in one line (QEMU's errors can span several). */
    static String message(LibvirtException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? "libvirt gave no message (" + e.getClass().getSimpleName() + ")" : oneLine(m);
    }

    static String oneLine(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                space = b.length() > 0;
            } else {
                if (space) {
                    b.append(' ');
                    space = false;
                }
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A domain that existed a moment ago is gone (stopped while transient, or undefined); never leaves this class. */
    private static final class Gone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Gone() {
            super(null, null, false, false);
        }
    }

    /** One libvirt-java call that may fail with libvirt's error. */
    @FunctionalInterface
    private interface LibvirtCall<T> {
        T call() throws LibvirtException;
    }
}
