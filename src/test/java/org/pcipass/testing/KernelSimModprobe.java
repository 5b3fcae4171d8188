package org.pcipass.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pcipass.host.CommandRunner.Result;
import org.pcipass.testing.KernelSim.PciId;

/**
 * {@code modprobe} as the {@link KernelSim kernel simulator} plays it: modules come from
 * {@code CONFIGROOT/lib/modules/RELEASE/modules.dep} and {@code modules.builtin}; loading one
 * registers its PCI driver in the tree and offers it every unbound device (the driver core's
 * driver_attach). The configuration modprobe reads is honoured: {@code options} (vfio-pci/pci-stub
 * {@code ids=}, pciback {@code hide=}), {@code install} (its modprobe commands are run, others
 * ignored), {@code softdep … pre:/post:}, and {@code MODULE.PARAM=} on {@code proc/cmdline}, which
 * comes after the files' options and, as on a real kernel, replaces a parameter they set. The
 * files are {@code etc/modprobe.d/*.conf}, plus {@code etc/modprobe.conf} for a 2.x kernel
 * release (module-init-tools; kmod never reads it).
 */
final class KernelSimModprobe {
    /** Module (sysfs form) → the name of the PCI driver it registers, where they differ. */
    static final Map<String, String> DRIVER_OF = Map.of("vfio_pci", "vfio-pci", "pci_stub", "pci-stub",
            "xen_pciback", "pciback", "pciback", "pciback", "virtio_pci", "virtio-pci", "i2c_i801", "i801_smbus",
            "xhci_pci", "xhci_hcd");
    /** Modules that register no PCI driver. */
    static final Set<String> NOT_PCI = Set.of("vfio", "vfio_pci_core", "vfio_iommu_type1", "vfio_virqfd", "kvm",
            "kvm_intel", "kvm_amd", "irqbypass", "mdev", "xen_evtchn", "xen_gntdev", "xen_gntalloc", "xen_privcmd");
    private static final Pattern HIDE = Pattern.compile("\\(([^)]*)\\)");

    private final KernelSimTree tree;
    private final KernelSimCore core;
    private final KernelSimState state;
    private final StringBuilder err = new StringBuilder();

    KernelSimModprobe(KernelSimTree tree, KernelSimCore core, KernelSimState state) {
        this.tree = tree;
        this.core = core;
        this.state = state;
    }

    /** The module name modprobe compares: {@code vfio-pci} → {@code vfio_pci}. */
    static String norm(String module) {
        return FakeDrivers.sysfsModuleName(module);
    }

    /** Runs {@code modprobe [-q] [-r] [--first-time] [-i] [-a] NAME [OPTION=VALUE...]}. */
    Result run(List<String> argv) {
        err.setLength(0);
        int code = modprobe(argv, 0);
        return new Result(code, "", err.toString());
    }

    private int modprobe(List<String> argv, int depth) {
        boolean quiet = false;
        boolean remove = false;
        boolean firstTime = false;
        boolean ignoreInstall = false;
        boolean all = false;
        List<String> names = new ArrayList<>();
        List<String> params = new ArrayList<>();
        for (String arg : argv.subList(1, argv.size())) {
            if (!names.isEmpty() && !all && !remove) {
                params.add(arg);
            } else if (arg.startsWith("-") && names.isEmpty()) {
                switch (arg) {
                    case "-q", "--quiet" -> quiet = true;
                    case "-r", "--remove" -> remove = true;
                    case "--first-time" -> firstTime = true;
                    case "-i", "--ignore-install", "--ignore-remove" -> ignoreInstall = true;
                    case "-a", "--all" -> all = true;
                    case "-b", "--use-blacklist", "-v", "--verbose", "-s", "--syslog" -> { }
                    default -> {
                        err.append("modprobe: unrecognized option '").append(arg).append("'\n");
                        return 1;
                    }
                }
            } else {
                names.add(arg);
            }
        }
        if (names.isEmpty()) {
            err.append("modprobe: ERROR: missing parameters. See -h.\n");
            return 1;
        }
        int code = 0;
        for (String name : names) {
            int c = remove ? remove(name) : insert(name, params, quiet, firstTime, ignoreInstall, depth);
            code = c != 0 ? c : code;
        }
        return code;
    }

    private int insert(String name, List<String> params, boolean quiet, boolean firstTime, boolean ignoreInstall,
            int depth) {
        String m = norm(name);
        if (builtin().contains(m) || tree.moduleLive(m)) {
            if (firstTime) {
                err.append("modprobe: ERROR: could not insert '").append(m).append("': Module already in kernel\n");
                return 1;
            }
            return 0;
        }
        Map<String, List<String>> dep = modulesDep();
        if (!dep.containsKey(m)) {
            if (!quiet) {
                err.append("modprobe: FATAL: Module ").append(name).append(" not found in directory /lib/modules/")
                        .append(release()).append('\n');
            }
            return 1;
        }
        Config cfg = config();
        if (!ignoreInstall && cfg.install.containsKey(m) && depth < 8) {
            return shell(cfg.install.get(m), depth + 1);
        }
        cfg.pre.getOrDefault(m, List.of()).forEach(p -> insert(p, List.of(), true, false, false, depth + 1));
        List<String> deps = new ArrayList<>(dep.get(m));
        Collections.reverse(deps);
        for (String d : deps) {
            if (!builtin().contains(d) && !tree.moduleLive(d)) {
                load(d, cfg, List.of(), false);
            }
        }
        load(m, cfg, params, true);
        cfg.post.getOrDefault(m, List.of()).forEach(p -> insert(p, List.of(), true, false, false, depth + 1));
        return 0;
    }

    /** Loads one module: its sysfs entry, its PCI driver (with its options applied), then driver_attach. */
    private void load(String m, Config cfg, List<String> params, boolean named) {
        String driver = DRIVER_OF.getOrDefault(m, named && !NOT_PCI.contains(m) ? m : null);
        if (driver == null) {
            tree.loadModule(m);
            return;
        }
        tree.registerDriver(driver, m);
        List<String> order = new ArrayList<>(state.order(tree.registeredDrivers()));
        order.remove(driver);
        order.add(driver);
        state.setOrder(order);
        // modprobe's order: the configuration files' options, then the command line's, then its own
        // arguments; the kernel sets a parameter once per occurrence and a string keeps the last
        List<String> opts = new ArrayList<>(cfg.options.getOrDefault(m, List.of()));
        opts.addAll(cmdlineOptions(m));
        opts.addAll(params);
        Map<String, String> last = new LinkedHashMap<>();
        for (String o : opts) {
            int eq = o.indexOf('=');
            last.put(eq < 0 ? o : o.substring(0, eq), eq < 0 ? "" : o.substring(eq + 1));
        }
        for (Map.Entry<String, String> p : last.entrySet()) {
            String key = p.getKey();
            String value = p.getValue();
            if (key.equals("ids") && !driver.equals("pciback")) {
                for (String id : value.split(",")) {
                    String[] f = id.split(":");
                    if (f.length >= 2) {
                        state.addId(driver, new PciId(Integer.parseInt(f[0], 16), Integer.parseInt(f[1], 16)), true);
                    }
                }
            } else if (key.equals("hide") && driver.equals("pciback")) {
                hide(value);
            }
        }
        core.attach(driver);
    }

    /** pciback's {@code hide=(DDDD:BB:SS.F)(BB:SS.F)…}, {@code *} for slot or function: adds to slots. */
    private void hide(String value) {
        List<String> slots = new ArrayList<>(tree.slots());
        Matcher m = HIDE.matcher(value);
        while (m.find()) {
            String spec = m.group(1).strip().toLowerCase();
            String full = spec.split(":").length == 2 ? "0000:" + spec : spec;
            if (!full.contains("*")) {
                String[] p = full.split("[:.]");
                String a = String.format("%04x:%02x:%02x.%s", Integer.parseInt(p[0], 16), Integer.parseInt(p[1], 16),
                        Integer.parseInt(p[2], 16), p[3]);
                if (!slots.contains(a)) {
                    slots.add(a);
                }
                continue;
            }
            Pattern glob = Pattern.compile(full.replace(".", "\\.").replace("*", "[0-9a-f]+"));
            for (String a : tree.addresses()) {
                if (glob.matcher(a).matches() && !slots.contains(a)) {
                    slots.add(a);
                }
            }
        }
        tree.slots(slots);
    }

    /** {@code modprobe -r}: unbinds the driver's devices, removes driver and module. */
    private int remove(String name) {
        String m = norm(name);
        if (builtin().contains(m)) {
            err.append("modprobe: FATAL: Module ").append(m).append(" is builtin.\n");
            return 1;
        }
        if (!tree.moduleLive(m)) {
            err.append("modprobe: FATAL: Module ").append(m).append(" is not in kernel.\n");
            return 1;
        }
        List<String> drivers = tree.registeredDrivers().stream().filter(d -> m.equals(tree.moduleOf(d))).toList();
        for (String d : drivers) {
            if (tree.boundTo(d).stream().anyMatch(core::heldByUserspace)) {
                err.append("modprobe: FATAL: Module ").append(m).append(" is in use.\n");
                return 1;
            }
        }
        for (String d : drivers) {
            tree.boundTo(d).forEach(a -> core.release(d, a));
            tree.unregisterDriver(d);
            state.dropDynamicIds(d);
        }
        tree.unloadModule(m);
        return 0;
    }

    /** An install command: {@code ;}- and {@code &&}-separated; modprobe commands run here, others ignored. */
    private int shell(String command, int depth) {
        int code = 0;
        for (String part : command.split(";")) {
            for (String cmd : part.split("&&")) {
                List<String> argv = List.of(cmd.strip().split("\\s+"));
                if (argv.get(0).isEmpty()) {
                    continue;
                }
                code = Path.of(argv.get(0)).getFileName().toString().equals("modprobe") ? modprobe(argv, depth) : 0;
                if (code != 0) {
                    break;
                }
            }
        }
        return code;
    }

    /** The running kernel's release: proc/sys/kernel/osrelease, else the one directory under lib/modules. */
    String release() {
        Path f = tree.root().resolve("proc/sys/kernel/osrelease");
        if (Files.isRegularFile(f)) {
            return Fs.read(f).strip();
        }
        List<String> dirs = KernelSimTree.names(tree.root().resolve("lib/modules"));
        return dirs.size() == 1 ? dirs.get(0) : System.getProperty("os.version");
    }

    private Path modulesDir() {
        return tree.root().resolve("lib/modules").resolve(release());
    }

    /** modules.dep: module name → its dependencies, as listed (the last is loaded first). */
    Map<String, List<String>> modulesDep() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Path f = modulesDir().resolve("modules.dep");
        if (!Files.isRegularFile(f)) {
            return out;
        }
        for (String line : Fs.read(f).lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                List<String> deps = new ArrayList<>();
                for (String d : line.substring(colon + 1).strip().split("\\s+")) {
                    if (!d.isEmpty()) {
                        deps.add(moduleName(d));
                    }
                }
                out.put(moduleName(line.substring(0, colon)), deps);
            }
        }
        return out;
    }

    Set<String> builtin() {
        Path f = modulesDir().resolve("modules.builtin");
        return Files.isRegularFile(f)
                ? Set.copyOf(Fs.read(f).lines().filter(l -> !l.isBlank()).map(KernelSimModprobe::moduleName).toList())
                : Set.of();
    }

    /** {@code kernel/drivers/vfio/pci/vfio-pci.ko.xz} → {@code vfio_pci}. */
    static String moduleName(String path) {
        String base = Path.of(path.strip()).getFileName().toString();
        return norm(base.replaceFirst("\\.ko(\\.(xz|gz|zst))?$", ""));
    }

    /** What modprobe's configuration says, by module name (sysfs form). */
    private record Config(Map<String, List<String>> options, Map<String, String> install,
            Map<String, List<String>> pre, Map<String, List<String>> post) {
    }

    private Config config() {
        Config c = new Config(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
        List<Path> files = new ArrayList<>();
        Path d = tree.root().resolve("etc/modprobe.d");
        KernelSimTree.names(d).stream().filter(n -> n.endsWith(".conf")).forEach(n -> files.add(d.resolve(n)));
        if (release().startsWith("2.")) {
            files.add(tree.root().resolve("etc/modprobe.conf"));
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                continue;
            }
            for (String line : Fs.read(f).replace("\\\n", " ").lines().toList()) {
                int hash = line.indexOf('#');
                String[] w = (hash >= 0 ? line.substring(0, hash) : line).strip().split("\\s+", 3);
                if (w.length < 3) {
                    continue;
                }
                String m = norm(w[1]);
                switch (w[0]) {
                    case "options" -> c.options.computeIfAbsent(m, k -> new ArrayList<>()).addAll(List.of(w[2].split("\\s+")));
                    case "install" -> c.install.put(m, w[2]);
                    case "softdep" -> softdep(c, m, w[2]);
                    default -> { }
                }
            }
        }
        return c;
    }

    private static void softdep(Config c, String m, String spec) {
        List<String> target = null;
        for (String w : spec.split("\\s+")) {
            if (w.equals("pre:")) {
                target = c.pre.computeIfAbsent(m, k -> new ArrayList<>());
            } else if (w.equals("post:")) {
                target = c.post.computeIfAbsent(m, k -> new ArrayList<>());
            } else if (target != null) {
                target.add(w);
            }
        }
    }

    /** {@code MODULE.PARAM=VALUE} words of {@code proc/cmdline} for module {@code m}. */
    private List<String> cmdlineOptions(String m) {
        Path f = tree.root().resolve("proc/cmdline");
        List<String> out = new ArrayList<>();
        if (Files.isRegularFile(f)) {
            for (String w : Fs.read(f).strip().split("\\s+")) {
                int eq = w.indexOf('=');
                int dot = w.indexOf('.');
                if (dot > 0 && (eq < 0 || dot < eq) && norm(w.substring(0, dot)).equals(m)) {
                    out.add(w.substring(dot + 1));
                }
            }
        }
        return out;
    }
}
