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
import org.pcipass.PcipassException;

/**
 * One host-wide lock ({@code STATE/lock}, an fcntl lock the kernel drops when its holder dies):
 * two pcipass processes never interleave plans. The holder writes its pid and command into the
 * file, so that a waiter that gives up can say who holds it.
 */
public final class HostLock implements AutoCloseable {
    public static final String FILE = "lock";

    private final FileChannel channel;
    private final FileLock lock;

    private HostLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock, waiting up to {@code timeout}.
     *
     * @throws PcipassException (exit 1) naming the holder's pid and command when it is not free in time
     */
    public static HostLock acquire(Path stateDir, String command, Duration timeout) {
        Path file = stateDir.resolve(FILE);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Files.createDirectories(stateDir);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            while (true) {
                FileLock l = tryLock(ch);
                if (l != null) {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ": " + command + "\n")
                            .getBytes(StandardCharsets.UTF_8)), 0);
                    ch.force(false);
                    return new HostLock(ch, l);
                }
                if (System.nanoTime() > deadline) {
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
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FileLock probe;
            try {
                probe = ch.tryLock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException e) {
                probe = null; // this very process holds it
            }
            if (probe != null) {
                probe.release();
                return null;
            }
            String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
            return holder.isEmpty() ? "holder unknown" : holder;
        } catch (IOException e) {
            return null;
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
        }
    }
}
