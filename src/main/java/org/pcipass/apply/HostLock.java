package org.pcipass.apply;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.pcipass.PcipassException;

/**
 * One host-wide lock ({@code STATE/lock}, an fcntl lock the kernel drops when its holder dies):
 * two pcipass processes never interleave plans. The holder writes its pid and command into the
 * file, so that a waiter that gives up can say who holds it.
 *
 * <p>Inside one JVM (the API server runs many commands) the lock is also a semaphore per lock file,
 * taken first: an fcntl lock belongs to the process, and closing <em>any</em> descriptor of the file
 * drops it, so while a thread holds the lock no other thread of this JVM may open the file — not to
 * wait for it, not to ask who holds it ({@link #holder} answers from memory then).
 */
public final class HostLock implements AutoCloseable {
    public static final String FILE = "lock";

    /** This JVM's turn at each lock file, and what its holder wrote into it. */
    private static final Map<Path, Semaphore> TURNS = new ConcurrentHashMap<>();
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private HostLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    private static Semaphore turn(Path key) {
        return TURNS.computeIfAbsent(key, k -> new Semaphore(1, true));
    }

    /**
     * Takes the lock, waiting up to {@code timeout}.
     *
     * @throws PcipassException (exit 1) naming the holder's pid and command when it is not free in time
     */
    public static HostLock acquire(Path stateDir, String command, Duration timeout) {
        Path file = stateDir.resolve(FILE);
        Path key = key(file);
        long deadline = System.nanoTime() + timeout.toNanos();
        Semaphore turn = turn(key);
        try {
            if (!turn.tryAcquire(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)) {
                String holder = HELD.get(key);
                throw new PcipassException("another pcipass holds the host lock " + file + " ("
                        + (holder == null ? "holder unknown" : holder) + "); waited " + timeout.toSeconds()
                        + " s: try again when it has finished");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PcipassException("interrupted while waiting for the host lock " + file, e);
        }
        boolean taken = false;
        try {
            Files.createDirectories(stateDir);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            while (true) {
                FileLock l = tryLock(ch);
                if (l != null) {
                    String text = "pid " + ProcessHandle.current().pid() + ": " + command;
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                    ch.force(false);
                    HELD.put(key, text);
                    taken = true;
                    return new HostLock(key, ch, l);
                }
                if (System.nanoTime() > deadline) {
                    // no thread of this JVM holds the lock (this one has the turn): reading the file drops nothing
                    String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
                    ch.close();
                    throw new PcipassException("another pcipass holds the host lock " + file + " ("
                            + (holder.isEmpty() ? "holder unknown" : holder) + "); waited " + timeout.toSeconds()
                            + " s: try again when it has finished");
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new PcipassException("cannot take the host lock " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PcipassException("interrupted while waiting for the host lock " + file, e);
        } finally {
            if (!taken) {
                turn.release();
            }
        }
    }

    /**
     * Who holds the lock now ({@code pid N: COMMAND}), or null when nobody does. Creates nothing
     * and never blocks: it asks for a shared lock, which any holder's exclusive lock refuses.
     */
    public static String holder(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Path key = key(file);
        Semaphore turn = turn(key);
        if (!turn.tryAcquire()) {
            String holder = HELD.get(key); // a thread of this JVM holds it, or is about to: never open the file now
            return holder == null ? "holder unknown" : holder;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FileLock probe = ch.tryLock(0, Long.MAX_VALUE, true);
            if (probe != null) {
                probe.release();
                return null;
            }
            String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
            return holder.isEmpty() ? "holder unknown" : holder;
        } catch (IOException | OverlappingFileLockException e) {
            return null;
        } finally {
            turn.release();
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by this very process (tests run commands in one JVM)
        }
    }

    @Override
    public void close() {
        try {
            channel.truncate(0);
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the kernel drops the lock with the descriptor anyway
        } finally {
            HELD.remove(key);
            turn(key).release();
        }
    }
}
