package org.pcipass.plan;

import java.util.List;
import java.util.Objects;
import org.pcipass.pci.PciAddress;

/**
 * One step of a {@link Plan}, in DESIGN.md's vocabulary: {@code write}, {@code expect-driver},
 * {@code edit}, {@code run}, {@code wait}, and for guests {@code attach} and {@code detach}. Paths are absolute (under {@code --sysfs} or
 * {@code --config-root}).
 */
public sealed interface Step {
    /** DESIGN.md's name of the op. */
    String op();

    /** A sysfs attribute write: the kernel's refusal is the step's failure. */
    record Write(String path, String value) implements Step {
        public Write {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String op() {
            return "write";
        }

        /**
         * The device the write acts on: the one whose attribute it is ({@code …/devices/A/driver_override},
         * {@code …/devices/A/driver/unbind}), else the address written ({@code drivers/X/bind} ← A);
         * null for anything else.
         */
        public PciAddress device() {
            int i = path.lastIndexOf(DEVICES);
            if (i >= 0) {
                int from = i + DEVICES.length();
                int to = path.indexOf('/', from);
                return address(to < 0 ? path.substring(from) : path.substring(from, to));
            }
            return address(value.strip());
        }

        private static final String DEVICES = "/bus/pci/devices/";

        private static PciAddress address(String s) {
            try {
                return PciAddress.parse(s);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    /** Reads the device's {@code driver} link back: it must name {@code driver} (null: no driver). */
    record ExpectDriver(PciAddress device, String driver) implements Step {
        public ExpectDriver {
            Objects.requireNonNull(device, "device");
        }

        @Override
        public String op() {
            return "expect-driver";
        }
    }

    /** Replaces a whole configuration file's text: {@code before} (null: absent) → {@code after} (null: removed). */
    record Edit(String file, String before, String after) implements Step {
        public Edit {
            Objects.requireNonNull(file, "file");
        }

        @Override
        public String op() {
            return "edit";
        }
    }

    /** A host command such as {@code modprobe vfio-pci}. */
    record Run(List<String> argv) implements Step {
        public Run {
            argv = List.copyOf(argv);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("argv: empty");
            }
        }

        @Override
        public String op() {
            return "run";
        }
    }

    /** Waits briefly for a path to appear, e.g. {@code /dev/vfio/N} after vfio-pci binds. */
    record Wait(String path) implements Step {
        public Wait {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String op() {
            return "wait";
        }
    }

    /**
     * Gives {@code device} to {@code guest} through a hypervisor backend, then reads back that the
     * hypervisor lists it (the live domain for a live attach, the persistent definition for a config one).
     *
     * @param connect the libvirt URI; null for xl
     */
    record Attach(String backend, String connect, String guest, PciAddress device, org.pcipass.guest.Mode mode)
            implements Step {
        public Attach {
            Objects.requireNonNull(backend, "backend");
            org.pcipass.guest.GuestName.check(guest);
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(mode, "mode");
        }

        @Override
        public String op() {
            return "attach";
        }
    }

    /**
     * Asks the hypervisor to take {@code device} from {@code guest}, then waits up to
     * {@code timeoutSeconds} until the guest has released it (the hypervisor no longer lists it). A
     * device not released is never given back to the host.
     */
    record Detach(String backend, String connect, String guest, PciAddress device, org.pcipass.guest.Mode mode,
            int timeoutSeconds) implements Step {
        public Detach {
            Objects.requireNonNull(backend, "backend");
            org.pcipass.guest.GuestName.check(guest);
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(mode, "mode");
            if (timeoutSeconds < 0) {
                throw new IllegalArgumentException("timeoutSeconds: " + timeoutSeconds);
            }
        }

        @Override
        public String op() {
            return "detach";
        }
    }
}
