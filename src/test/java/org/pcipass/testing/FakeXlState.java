package org.pcipass.testing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * What the fake xl's Xen and xenstore hold, as one JSON file ({@code DIR/fake-xl.json}) so that
 * every {@link FakeXl} on the same directory, in this JVM or a child one, sees the same host.
 * Every access runs under {@link #update}: a JVM-wide lock plus an exclusive lock on
 * {@code DIR/fake-xl.lock}; the file is replaced atomically.
 */
final class FakeXlState {
    /** A device in a domain: its host address ({@code 0000:09:00.0}) and the guest's devfn. */
    static final class Dev {
        public String bdf;
        public int vdevfn;
        /** Added by pci-attach (libxl then sets rdm_policy "strict" in the stored configuration). */
        public boolean hotplugged;

        Dev() {}

        Dev(String bdf, int vdevfn, boolean hotplugged) {
            this.bdf = bdf;
            this.vdevfn = vdevfn;
            this.hotplugged = hotplugged;
        }
    }

    /** A running domain (xl has no other kind). */
    static final class Dom {
        public String name;
        public int domid;
        /** {@code pv}, {@code hvm} or {@code pvh}. */
        public String type = "pv";
        /** xl.cfg's passthrough as written; null when the file did not set it (libxl's "default"). */
        public String passthrough;
        /** The PCI backend in xenstore: what pci-list shows and what libxl compares against. */
        public List<Dev> live = new ArrayList<>();
        /** libxl's stored configuration (pcidevs): devices at creation and hot-plugged ones, never removed. */
        public List<Dev> config = new ArrayList<>();
        /** How the guest answers an unplug: {@code at-once}, {@code never}, or {@code after} pci-list calls. */
        public String release = "at-once";
        public int releaseAfter;
        /** Devices asked to leave: address → pci-list calls that still show it (-1: the guest never lets go). */
        public Map<String, Integer> leaving = new LinkedHashMap<>();

        boolean holds(String bdf) {
            return live.stream().anyMatch(d -> d.bdf.equals(bdf));
        }
    }

    public int nextDomid = 1;
    /** The kernel simulator's sysfs: pciback's driver directory there decides what is assignable. */
    public String sysfs;
    /** Without a sysfs: the devices pciback holds; null = any device. */
    public List<String> assignable;
    /** False: xl cannot reach Xen (no privcmd: not a dom0, or not root). */
    public boolean hypervisor = true;
    /** Xen's IOMMU: virt_caps directio, the dmesg line, and whether any device can be assigned. */
    public boolean iommu = true;
    public List<Dom> domains = new ArrayList<>();
    /** Every xl command run, argv as given. */
    public List<List<String>> calls = new ArrayList<>();

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    Dom byName(String name) {
        return domains.stream().filter(d -> d.name.equals(name)).findFirst().orElse(null);
    }

    Dom byId(long domid) {
        return domains.stream().filter(d -> d.domid == domid).findFirst().orElse(null);
    }

    /** The domain whose PCI backend lists {@code bdf}, or null: libxl's "domid" record for the device. */
    Dom holder(String bdf) {
        return domains.stream().filter(d -> d.holds(bdf)).findFirst().orElse(null);
    }

    /** Runs {@code change} on the state in {@code dir} and saves what it leaves, holding the lock. */
    static <T> T update(Path dir, Function<FakeXlState, T> change) {
        JVM_LOCK.lock();
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(dir.resolve("fake-xl.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
                Path file = dir.resolve("fake-xl.json");
                FakeXlState s = Files.exists(file) ? JSON.readValue(file.toFile(), FakeXlState.class) : new FakeXlState();
                T result = change.apply(s);
                Path tmp = dir.resolve("fake-xl.json.tmp");
                JSON.writeValue(tmp.toFile(), s);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return result;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            JVM_LOCK.unlock();
        }
    }
}
