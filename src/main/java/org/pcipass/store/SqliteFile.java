package org.pcipass.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.pcipass.PcipassException;
import org.sqlite.NativeLibraryNotFoundException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * The one place that knows the store is SQLite (PostgreSQL comes with fleets): how a connection is
 * opened, and what SQLite's failures mean in words. Everything else speaks portable SQL through JDBC.
 *
 * <p>Rollback journal ({@code journal_mode=DELETE}, SQLite's default) rather than WAL: a user who
 * can only read the state dir can still read the store (WAL needs to write its {@code -shm} file),
 * and the store is one file between transactions. {@code synchronous=FULL}: a committed
 * transaction survives a power cut. Every transaction is {@code BEGIN IMMEDIATE}: it takes the
 * write lock first, so two processes queue (up to {@link #BUSY_TIMEOUT_MS}) instead of one failing
 * when both upgrade a read lock at once.
 */
final class SqliteFile {
    static final int BUSY_TIMEOUT_MS = 10_000;
    /** Where sqlite-jdbc extracts its native library before loading it (else java.io.tmpdir). */
    static final String NATIVE_DIR_PROPERTY = "org.sqlite.tmpdir";
    /** A directory and file name sqlite-jdbc loads its native library from, before it tries to extract one. */
    static final String LIB_PATH_PROPERTY = "org.sqlite.lib.path";
    static final String LIB_NAME_PROPERTY = "org.sqlite.lib.name";

    // SQLite's primary result codes (sqlite3.h), as sqlite-jdbc gives them in SQLException.getErrorCode()
    private static final int BUSY = 5;
    private static final int LOCKED = 6;
    private static final int READONLY = 8;
    private static final int IOERR = 10;
    private static final int CORRUPT = 11;
    private static final int FULL = 13;
    private static final int CANTOPEN = 14;
    private static final int CONSTRAINT = 19;
    private static final int NOTADB = 26;

    /**
     * sqlite-jdbc logs its loader's failures with stack traces (java.util.logging) before it throws;
     * pcipass says what failed in one line instead. A strong reference: the logger keeps its level.
     */
    private static final Logger SQLITE_LOG = Logger.getLogger("org.sqlite");

    static {
        SQLITE_LOG.setLevel(Level.OFF);
    }

    /** How {@link #connect} opens the file. */
    enum Access {
        /** Read and write, creating the file when missing. */
        CREATE,
        /** Read and write an existing file. */
        WRITE,
        /** Read an existing file only (this user cannot write it). */
        READ
    }

    private SqliteFile() {}

    static Connection connect(Path stateDir, Path file, Access access) {
        nativeLibraryDir(stateDir);
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        if (access == Access.READ) {
            config.setReadOnly(true);
        }
        if (access != Access.CREATE) {
            config.resetOpenMode(SQLiteOpenMode.CREATE);
        }
        try {
            return config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        } catch (SQLException e) {
            Throwable nativeLoad = nativeLibraryFailure(e);
            throw nativeLoad != null ? nativeLibraryFailure(file, nativeLoad, e) : failure(e, file, "opening it");
        } catch (RuntimeException | LinkageError e) {
            throw nativeLibraryFailure(file, e, e);
        }
    }

    /** The cause in {@code e}'s chain that says sqlite-jdbc could not extract or load its native library; or null. */
    private static Throwable nativeLibraryFailure(SQLException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof NativeLibraryNotFoundException || t instanceof LinkageError) {
                return t;
            }
        }
        return null;
    }

    private static PcipassException nativeLibraryFailure(Path file, Throwable why, Throwable e) {
        String text = firstLine(why);
        int paths = text.indexOf(", paths=");
        return new PcipassException("cannot open the store " + file + ": SQLite's native library did not load ("
                + (paths < 0 ? text : text.substring(0, paths)) + "); pcipass extracts it to "
                + System.getProperty(NATIVE_DIR_PROPERTY, System.getProperty("java.io.tmpdir"))
                + ", which must be writable and not mounted noexec (or choose one: JAVA_TOOL_OPTIONS=-D"
                + NATIVE_DIR_PROPERTY + "=DIR)", e);
    }

    /**
     * sqlite-jdbc extracts its native library to a directory and loads it from there; java.io.tmpdir
     * by default, which is often mounted noexec on hardened hosts. The state dir is pcipass's own and
     * writable where pcipass writes: the library is kept there ({@link NativeLibrary}), and should
     * that fail, sqlite-jdbc extracts it there itself. A user's choice (-Dorg.sqlite.tmpdir,
     * -Dorg.sqlite.lib.path) is left alone. The JVM loads the library once, with the first connection.
     */
    private static synchronized void nativeLibraryDir(Path stateDir) {
        if (System.getProperty(NATIVE_DIR_PROPERTY) != null || System.getProperty(LIB_PATH_PROPERTY) != null
                || !Files.isDirectory(stateDir) || !Files.isWritable(stateDir)) {
            return;
        }
        System.setProperty(NATIVE_DIR_PROPERTY, stateDir.toAbsolutePath().toString());
        Path lib = NativeLibrary.cached(stateDir.toAbsolutePath());
        if (lib != null) {
            System.setProperty(LIB_PATH_PROPERTY, lib.getParent().toString());
            System.setProperty(LIB_NAME_PROPERTY, lib.getFileName().toString());
        }
    }

    /** Whether {@code e} is a unique, primary-key or other integrity constraint violation. */
    static boolean isConstraintViolation(SQLException e) {
        String state = e.getSQLState();
        return e instanceof java.sql.SQLIntegrityConstraintViolationException
                || state != null && state.startsWith("23") || (e.getErrorCode() & 0xff) == CONSTRAINT;
    }

    /** {@code e} in words: what failed on {@code file} and the fix, SQLite's own text in brackets. */
    static PcipassException failure(SQLException e, Path file, String doing) {
        String why = " (" + firstLine(e) + ")";
        String text = switch (e.getErrorCode() & 0xff) {
            case FULL -> "cannot write the store " + file + ": the disk is full" + why
                    + "; free space on its filesystem, then run pcipass again";
            case READONLY -> "cannot write the store " + file + ": it is read-only here" + why
                    + "; run pcipass as root, with a state dir on a writable filesystem";
            case CANTOPEN -> "cannot open the store " + file + why
                    + "; check that the state dir exists and this user can read and write it";
            case CORRUPT, NOTADB -> "the store " + file + " is damaged or not a pcipass database" + why
                    + "; move it aside (pcipass starts an empty one) and run 'pcipass list' to see which devices"
                    + " are on stub drivers";
            case BUSY, LOCKED -> "the store " + file + " stayed locked by another process for "
                    + BUSY_TIMEOUT_MS / 1000 + " s" + why + "; try again when the other pcipass has finished";
            case IOERR -> "cannot read or write the store " + file + ": input/output error" + why
                    + "; check the disk and its filesystem (dmesg) and this process's file-size limit (ulimit -f)";
            default -> "the store " + file + " failed while " + doing + why;
        };
        return new PcipassException(text, e);
    }

    static String firstLine(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("").strip();
    }
}
