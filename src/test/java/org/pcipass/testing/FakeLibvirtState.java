package org.pcipass.testing;

import com.fasterxml.jackson.annotation.JsonInclude;
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
 * What {@link FakeLibvirt} keeps, in {@code DIR/libvirt.json} (Jackson), so that another instance or
 * another process on the same directory sees the same "libvirt". Every access reads, changes and
 * writes the whole file under a JVM-wide lock plus an exclusive {@code flock} on {@code DIR/lock}, as
 * KernelSimState does; the file is replaced atomically.
 */
final class FakeLibvirtState {
    /** The whole fake: its domains, the calls it saw, and whether it can be reached at all. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    static final class Data {
        public Map<String, Dom> domains = new LinkedHashMap<>();
        /** "open URI", "attach GUEST DEVICE MODE", "detach GUEST DEVICE MODE", in order. */
        public List<String> calls = new ArrayList<>();
        /** When set, opening fails with this as libvirt's message. */
        public String unreachable;
        public Boolean xenIommuActive;
    }

    /** One domain as libvirt would hold it, with its injected faults. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    static final class Dom {
        public String hypervisor = "kvm";
        public boolean running;
        public boolean persistent = true;
        public boolean pv;
        public boolean passthrough;
        public String osId;
        /** Devices in the running domain (live XML) and in the persistent definition (inactive XML). */
        public List<Dev> live = new ArrayList<>();
        public List<Dev> config = new ArrayList<>();
        /** Fault: every attach fails with this libvirt message. */
        public String attachError;
        /** Fault: a live detach succeeds but the guest never lets go (the device stays in the live XML). */
        public boolean detachNeverLeaves;
        /** Fault: a live detach leaves the device in the live XML for this many reads of it. */
        public int detachLeavesAfterReads;
        /** Devices a live detach was asked for, still listed: address → reads left. */
        public Map<String, Integer> leaving = new LinkedHashMap<>();
        /** Fault: the domain disappears right after this call ("attach" or "detach") succeeds. */
        public String vanishOn;
    }

    /** A PCI device of a domain and libvirt's managed flag. */
    static final class Dev {
        public String address;
        public boolean managed;

        Dev() {}

        Dev(String address, boolean managed) {
            this.address = address;
            this.managed = managed;
        }
    }

    private static final ReentrantLock JVM_LOCK = new ReentrantLock();
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path dir;

    FakeLibvirtState(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        Fs.mkdirs(this.dir);
    }

    Path dir() {
        return dir;
    }

    /** Reads the state, applies {@code change} (which may mutate it) and writes it back, all under the lock. */
    <T> T update(Function<Data, T> change) {
        return locked(() -> {
            Data d = read();
            T result;
            try {
                result = change.apply(d);
            } finally {
                // a refused call is still a call: the log and any fault bookkeeping are kept
                write(d);
            }
            return result;
        });
    }

    /** Reads the state under the lock, changing nothing. */
    <T> T read(Function<Data, T> query) {
        return locked(() -> query.apply(read()));
    }

    private <T> T locked(IoBody<T> body) {
        JVM_LOCK.lock();
        try {
            if (JVM_LOCK.getHoldCount() > 1) {
                return body.run();
            }
            try (FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                FileLock lock = ch.lock();
                try {
                    return body.run();
                } finally {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            JVM_LOCK.unlock();
        }
    }

    private Data read() throws IOException {
        Path f = dir.resolve("libvirt.json");
        return Files.exists(f) ? JSON.readValue(f.toFile(), Data.class) : new Data();
    }

    private void write(Data d) {
        try {
            Path tmp = dir.resolve("libvirt.json.tmp");
            JSON.writeValue(tmp.toFile(), d);
            Files.move(tmp, dir.resolve("libvirt.json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FunctionalInterface
    private interface IoBody<T> {
        T run() throws IOException;
    }
}
