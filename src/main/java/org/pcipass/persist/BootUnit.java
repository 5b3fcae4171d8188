package org.pcipass.persist;

/**
 * The systemd unit that runs {@code pcipass apply-boot} early in boot: after udev has announced the
 * devices and modules-load has run, before networking and the hypervisor's services start, so that
 * a device whose hide modprobe cannot express is taken before anything uses it.
 */
public final class BootUnit {
    /** The unit file, relative to the config root. */
    public static final String FILE = "etc/systemd/system/pcipass-apply-boot.service";
    /** The link {@code systemctl enable} makes, relative to the config root. */
    public static final String WANTS_LINK = "etc/systemd/system/sysinit.target.wants/pcipass-apply-boot.service";

    private BootUnit() {}

    /**
     * The unit's text.
     *
     * @param command the absolute path of pcipass with any global options, e.g.
     *     {@code /usr/local/bin/pcipass --state-dir /var/lib/pcipass}; {@code apply-boot} is appended
     */
    public static String text(String command) {
        if (command == null || !command.startsWith("/") || command.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("the boot unit needs pcipass's absolute path on one line, got '"
                    + command + "'");
        }
        return """
                [Unit]
                Description=Hide PCI devices persisted by pcipass (pcipass apply-boot)
                DefaultDependencies=no
                After=local-fs.target systemd-udev-trigger.service systemd-modules-load.service
                Before=sysinit.target shutdown.target network-pre.target libvirtd.service xencommons.service xen-init-dom0.service
                Wants=network-pre.target
                Conflicts=shutdown.target

                [Service]
                Type=oneshot
                RemainAfterExit=yes
                ExecStart=%s apply-boot

                [Install]
                WantedBy=sysinit.target
                """.formatted(command);
    }
}
