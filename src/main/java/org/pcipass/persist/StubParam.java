package org.pcipass.persist;

import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One stub's device list, as its options line and its kernel parameter write it, merged with what
 * the kernel command line already gives that parameter: pciback's {@code hide=(0000:09:00.0)(…)},
 * vfio-pci's and pci-stub's {@code ids=10de:1b80,…}.
 *
 * @param module the stub's module name, as pcipass writes it ({@code xen-pciback}, {@code vfio-pci})
 * @param name the parameter: {@code hide} or {@code ids}
 * @param current the parameter as the command line has it ({@code vfio-pci.ids=1b36:0005}); null when absent
 * @param cmdlineEntries its entries, in {@link KernelCmdline#ids} or {@link KernelCmdline#hide} form
 * @param unusable its entries that a modprobe line of pcipass's cannot carry (left out of the line)
 */
record StubParam(String module, String name, String current, List<String> cmdlineEntries, List<String> unusable) {
    StubParam {
        cmdlineEntries = List.copyOf(cmdlineEntries);
        unusable = List.copyOf(unusable);
    }

    /** pciback's {@code hide=} on {@code cmdline}. */
    static StubParam hide(String pcibackModule, KernelCmdline cmdline) {
        return new StubParam(pcibackModule, "hide", cmdline.parameter(pcibackModule, "hide"), cmdline.hide(pcibackModule),
                cmdline.unusableHide(pcibackModule));
    }

    /** An id-based stub's {@code ids=} on {@code cmdline}. */
    static StubParam ids(Stub stub, KernelCmdline cmdline) {
        return new StubParam(stub.driverName(), "ids", cmdline.parameter(stub.driverName(), "ids"), cmdline.ids(stub),
                cmdline.unusableIds(stub));
    }

    /** The stub's parameter on {@code cmdline}. */
    static StubParam of(Stub stub, String pcibackModule, KernelCmdline cmdline) {
        return stub == Stub.PCIBACK ? hide(pcibackModule, cmdline) : ids(stub, cmdline);
    }

    boolean isHide() {
        return name.equals("hide");
    }

    /** What its entries are, in words. */
    String what() {
        return isHide() ? "devices" : "ids";
    }

    /** The device's entry: its address for {@code hide=}, its vendor:device ids for {@code ids=}. */
    String entry(PersistedDevice d) {
        return isHide() ? d.address().toString() : d.ids().toString();
    }

    /** Whether the command line's value names the device (a wildcard entry counts as not naming it). */
    boolean names(PersistedDevice d) {
        return cmdlineEntries.contains(entry(d));
    }

    /** {@code devices} the command line does not name. */
    List<PersistedDevice> missed(Collection<PersistedDevice> devices) {
        return devices.stream().filter(d -> !names(d)).toList();
    }

    /** Whether the command line names something {@code devices} do not: merging adds to pcipass's own value. */
    boolean addsTo(Collection<PersistedDevice> devices) {
        List<String> own = devices.stream().map(this::entry).toList();
        return cmdlineEntries.stream().anyMatch(e -> !own.contains(e));
    }

    /**
     * The merged value: {@code (0000:09:00.0)(0000:0a:04.1)} in address order, or {@code 10de:10f0,10de:1b80}
     * sorted; each entry once.
     */
    String value(Collection<PersistedDevice> devices) {
        TreeSet<String> entries = new TreeSet<>(isHide() ? KernelCmdline.HIDE_ORDER : String::compareTo);
        entries.addAll(cmdlineEntries);
        devices.forEach(d -> entries.add(entry(d)));
        return isHide() ? entries.stream().map(e -> "(" + e + ")").collect(Collectors.joining())
                : String.join(",", entries);
    }

    /** {@code MODULE.NAME=VALUE}, merged. */
    String parameter(Collection<PersistedDevice> devices) {
        return module + "." + name + "=" + value(devices);
    }

    /** {@code options MODULE NAME=VALUE}, merged. */
    String optionsLine(Collection<PersistedDevice> devices) {
        return ModprobeLines.optionsLine(module, name, value(devices));
    }
}
