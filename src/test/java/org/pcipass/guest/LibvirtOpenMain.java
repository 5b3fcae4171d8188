package org.pcipass.guest;

import org.pcipass.PcipassException;
import org.pcipass.host.CommandRunner;

/**
 * A fresh JVM that opens one libvirt backend through {@link RealGuestBackends}, as a pcipass command
 * would, for LibvirtLoadingTest: {@code LibvirtOpenMain URI}. It prints {@code open-ms N} (JNA,
 * libvirt's C library and the connection together) and {@code nope: null} (a lookup libvirt answers
 * with VIR_ERR_NO_DOMAIN) on stdout; a failure prints its message alone on stderr and exits with its
 * exit code, as pcipass's main does.
 */
public final class LibvirtOpenMain {
    private LibvirtOpenMain() {}

    public static void main(String[] args) {
        long t0 = System.nanoTime();
        try (GuestBackend b = new RealGuestBackends(CommandRunner.SYSTEM).open(GuestBackends.LIBVIRT, args[0])) {
            long t1 = System.nanoTime();
            System.out.println("open-ms " + (t1 - t0) / 1_000_000);
            System.out.println("nope: " + b.domain("nope"));
        } catch (PcipassException e) {
            System.err.println(e.getMessage());
            System.exit(e.exitCode());
        }
    }
}
