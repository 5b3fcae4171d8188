package org.pcipass.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.pcipass.apply.JsonTree;

/**
 * The server's one snapshot of the host: the device list as {@code list --json} prints it (and
 * gzipped), numbered by a version that grows with every change seen. A cheap fingerprint (the PCI
 * devices and their drivers, pcipass's owners file, and the /proc files that say who depends on a
 * device) is taken at most every two seconds; the list is made again only when it changed, and
 * after every change the server makes itself. Listeners hear each new version (the page's events).
 */
final class HostWatch implements AutoCloseable {
    /**
     * One snapshot: its version, the fingerprint it was made at, the device list and its gzip as
     * read-only direct buffers that every GET /api/devices sends from without a copy (their
     * duplicates: each answer has its own position), and the metrics' counts of it: devices by
     * verdict and devices with an owner.
     */
    record Snapshot(long version, String fingerprint, Instant at, ByteBuffer jsonBuffer, ByteBuffer gzipBuffer,
            Map<String, Long> verdicts, long owned) {}

    private static final List<String> PROC_FILES = List.of("proc/self/mountinfo", "proc/swaps", "proc/net/route",
            "proc/cmdline");

    private final Path sysfs;
    private final Path configRoot;
    private final Path stateDir;
    private final Supplier<byte[]> list;
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private volatile Snapshot current;

    /** @param list makes the device list ({@code list --json}'s output) */
    HostWatch(Path sysfs, Path configRoot, Path stateDir, Supplier<byte[]> list) {
        this.sysfs = sysfs;
        this.configRoot = configRoot;
        this.stateDir = stateDir;
        this.list = list;
        this.current = make(0, fingerprint());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pcipass-host-watch");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, 2, 2, TimeUnit.SECONDS);
    }

    Snapshot current() {
        return current;
    }

    void onChange(LongConsumer listener) {
        listeners.add(listener);
    }

    /** After a change the server made: a new snapshot now, whatever the fingerprint says. */
    void changed() {
        refresh(true);
    }

    private void check() {
        try {
            refresh(false);
        } catch (Throwable e) { // even an Error: a task that throws is never run again, and the snapshot would freeze
            // a host read that failed now is tried again in two seconds; the snapshot stays as it was
        }
    }

    private synchronized void refresh(boolean force) {
        String fp = fingerprint();
        if (!force && fp.equals(current.fingerprint())) {
            return;
        }
        current = make(current.version() + 1, fp);
        long v = current.version();
        listeners.forEach(l -> l.accept(v));
    }

    private Snapshot make(long version, String fingerprint) {
        byte[] json = list.get();
        ByteArrayOutputStream z = new ByteArrayOutputStream(json.length / 8 + 64);
        try (GZIPOutputStream g = new GZIPOutputStream(z)) {
            g.write(json);
        } catch (IOException e) {
            throw new IllegalStateException("gzip in memory", e);
        }
        Map<String, Long> verdicts = new TreeMap<>();
        long owned = 0;
        try {
            for (Object d : (List<?>) JsonTree.parse(new String(json, StandardCharsets.UTF_8))) {
                Map<String, Object> dev = JsonTree.asObject(d, "device");
                verdicts.merge(String.valueOf(dev.get("verdict")), 1L, Long::sum);
                owned += dev.get("owner") != null ? 1 : 0;
            }
        } catch (IOException e) {
            throw new IllegalStateException("list --json printed what is not JSON", e);
        }
        return new Snapshot(version, fingerprint, Instant.now(), direct(json), direct(z.toByteArray()),
                Map.copyOf(verdicts), owned);
    }

    private static ByteBuffer direct(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip().asReadOnlyBuffer();
    }

    /** The fingerprint of what the device list shows: devices, drivers, owners, and the /proc files of usage. */
    String fingerprint() {
        MessageDigest md = sha256();
        md.update(drivers(sysfs).getBytes(StandardCharsets.UTF_8));
        List<Path> files = new ArrayList<>();
        files.add(stateDir.resolve("owners"));
        PROC_FILES.forEach(f -> files.add(configRoot.resolve(f)));
        for (Path f : files) {
            md.update(f.toString().getBytes(StandardCharsets.UTF_8));
            try {
                md.update(Files.readAllBytes(f));
            } catch (IOException e) {
                md.update((byte) 0); // absent or unreadable: a state of its own
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Every PCI device with its driver ({@code ADDRESS DRIVER} lines, sorted): what a plan's host
     * state is made of. The plan ids of the API hash it.
     */
    static String drivers(Path sysfs) {
        Path devices = sysfs.resolve("bus/pci/devices");
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(devices)) {
            ds.forEach(p -> names.add(p.getFileName().toString()));
        } catch (NoSuchFileException | NotDirectoryException e) {
            return "";
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + devices + ": " + e.getMessage(), e);
        }
        names.sort(null);
        StringBuilder b = new StringBuilder(names.size() * 24);
        for (String n : names) {
            String driver;
            try {
                driver = Files.readSymbolicLink(devices.resolve(n).resolve("driver")).getFileName().toString();
            } catch (IOException | UnsupportedOperationException e) {
                driver = "-";
            }
            b.append(n).append(' ').append(driver).append('\n');
        }
        return b.toString();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
