package org.pcipass.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.pcipass.PcipassException;
import org.pcipass.guest.Acpiphp;

/**
 * {@code pcipass guest-setup acpiphp (--root DIR | --print-script)}: what a RHEL 5 KVM guest needs
 * to see hot-plugged devices, done on its mounted root or printed as a script to run inside it
 * (nothing of pcipass runs on RHEL 5).
 */
final class GuestSetupCommand implements Command {
    private static final String ACPIPHP = "acpiphp";
    private static final CommandSpec SPEC = new CommandSpec("guest-setup",
            "Prepare a RHEL 5 KVM guest for PCI hotplug (acpiphp at every boot): on its mounted root, or as a"
                    + " script to run inside it.",
            List.of(CommandSpec.value("--root", "DIR", "the guest's root filesystem, mounted here (e.g. by"
                            + " guestmount -a guest.img -i DIR): write " + Acpiphp.FILE + " under it (mode 0755)"),
                    CommandSpec.flag("--print-script", "print a POSIX sh script that does the same inside the guest,"
                            + " loads acpiphp now and checks it")),
            "acpiphp", CommandSpec.Arity.ONE,
            List.of("RHEL 5 runs every executable /etc/sysconfig/modules/*.modules at boot (rc.sysinit); without"
                    + " acpiphp a RHEL 5 guest never sees a device hot-plugged into it. Give exactly one of --root"
                    + " and --print-script. A file pcipass did not write is never replaced (exit 1). The script"
                    + " prefixes every path with $ROOT when that is set."));

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(Args args, Context ctx) {
        String what = args.positionals.get(0);
        if (!what.equals(ACPIPHP)) {
            throw new PcipassException.BadInput("guest-setup knows only acpiphp, not '" + what
                    + "': write 'pcipass guest-setup acpiphp --root DIR' (see 'pcipass guest-setup --help')");
        }
        String root = args.value("--root");
        boolean print = args.flag("--print-script");
        if (root != null && print) {
            throw new PcipassException.BadInput("--root and --print-script exclude each other: give --root DIR to"
                    + " write on a mounted guest root, or --print-script for a script to run inside the guest");
        }
        if (print) {
            ctx.out().print(Acpiphp.script());
            return 0;
        }
        if (root == null) {
            throw new PcipassException.BadInput("guest-setup acpiphp needs --root DIR (the guest's mounted root"
                    + " filesystem) or --print-script (a script to run inside the guest)");
        }
        return install(checkedRoot(root), ctx);
    }

    private static Path checkedRoot(String root) {
        Path dir = Path.of(root);
        if (root.isEmpty() || !Files.isDirectory(dir)) {
            throw new PcipassException.BadInput("--root '" + root + "' is not a directory: give the mount point of"
                    + " the guest's root filesystem (e.g. guestmount -a guest.img -i /mnt/guest)");
        }
        if (isThisHostsRoot(dir)) {
            throw new PcipassException.BadInput("--root '" + root + "' is this host's own root, not a guest's:"
                    + " mount the guest's root filesystem elsewhere and give that, or run the script of"
                    + " --print-script inside the guest");
        }
        if (!Files.isDirectory(dir.resolve("etc"))) {
            throw new PcipassException.BadInput("--root '" + root + "' has no etc directory, so it is no system's"
                    + " root: give the mount point of the guest's root filesystem");
        }
        return dir;
    }

    private static boolean isThisHostsRoot(Path dir) {
        try {
            return Files.isSameFile(dir, Path.of("/"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static int install(Path root, Context ctx) {
        Acpiphp.Release release = Acpiphp.release(root);
        if (release.rhel5()) {
            ctx.out().println("guest root " + root + ": " + release.text() + " (RHEL 5: needs acpiphp for PCI hotplug)");
        } else {
            ctx.err().println("pcipass: warning: " + root + "/etc/redhat-release "
                    + (release.text() == null ? "is missing" : "says '" + release.text() + "'")
                    + ", not RHEL 5: only RHEL 5 guests need this (later ones load acpiphp or use PCIe native"
                    + " hotplug themselves)");
        }
        Acpiphp.Result r = Acpiphp.install(root);
        ctx.out().println(switch (r.outcome()) {
            case WROTE -> "wrote " + r.file() + " (mode 0755): the guest loads acpiphp at every boot";
            case REPLACED -> "replaced " + r.file() + ", written by an older pcipass (mode 0755; the old file is kept"
                    + " as " + r.file().getFileName() + org.pcipass.persist.AtomicFile.BACKUP_SUFFIX + ")";
            case MODE_SET -> "set " + r.file() + " to mode 0755 (it was " + Acpiphp.octal(r.modeBefore())
                    + ": rc.sysinit runs only executable .modules files)";
            case UNCHANGED -> r.file() + " is in place already (mode 0755): nothing changed";
            case FOREIGN_LOADS_IT -> r.file() + " already loads acpiphp (pcipass did not write it): left as it is";
        });
        return 0;
    }
}
