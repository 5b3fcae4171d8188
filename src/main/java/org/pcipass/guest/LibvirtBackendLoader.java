package org.pcipass.guest;

import com.sun.jna.NativeLibrary;
import org.libvirt.Connect;
import org.libvirt.ErrorCallback;
import org.libvirt.LibvirtException;

/**
 * Loads JNA's native part, libvirt's C library and libvirt-java, once per JVM, when the first libvirt
 * backend is opened. A failure is one line naming what is missing and how to get it (never a stack
 * trace), and is remembered: the JVM cannot retry a failed class initialisation.
 */
final class LibvirtBackendLoader {
    /** libvirt-java's own name for the library: JNA finds {@code libvirt.so.0} from it. */
    static final String LIBRARY = "virt";

    private static final Object LOCK = new Object();
    private static boolean loaded;
    private static GuestException failure;
    /**
     * libvirt prints every error to stderr unless an error function is set; this one does nothing
     * (libvirt-java reads each error itself). Held here because JNA frees a callback that is collected.
     */
    private static ErrorCallback silent;

    private LibvirtBackendLoader() {}

    /** @throws GuestException naming the missing part and the fix */
    static void load() {
        synchronized (LOCK) {
            if (loaded) {
                return;
            }
            if (failure != null) {
                throw new GuestException(failure.getMessage(), failure);
            }
            try {
                loadJna();
                loadLibvirt();
                initialise();
                loaded = true;
            } catch (GuestException e) {
                failure = e;
                throw e;
            }
        }
    }

    private static void loadJna() {
        try {
            Class.forName("com.sun.jna.Native", true, LibvirtBackendLoader.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new GuestException("JNA could not load its native part (" + LibvirtBackend.oneLine(String.valueOf(
                    e.getMessage())) + "); JNA unpacks it into ~/.cache/JNA/temp, which must be writable and not"
                    + " mounted noexec: name another directory with JAVA_TOOL_OPTIONS=-Djna.tmpdir=DIR", e);
        }
    }

    private static void loadLibvirt() {
        try {
            NativeLibrary.getInstance(LIBRARY);
        } catch (UnsatisfiedLinkError e) {
            throw new GuestException("libvirt's C library (libvirt.so.0) is not installed: apt install libvirt0"
                    + " (Debian, Ubuntu) or dnf install libvirt-libs (RHEL, Fedora)", e);
        }
    }

    private static void initialise() {
        try {
            silent = new ErrorCallback();
            Connect.setErrorCallback(silent);
        } catch (LibvirtException | LinkageError | RuntimeException e) {
            throw new GuestException("libvirt's C library (libvirt.so.0) did not initialise: "
                    + LibvirtBackend.oneLine(String.valueOf(e.getMessage()))
                    + "; reinstall it (apt install --reinstall libvirt0, or dnf reinstall libvirt-libs)", e);
        }
    }
}
