package org.pcipass.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pcipass.PcipassException;

/**
 * A parsed command line: the command, its flags, option values and positionals, and the global
 * options wherever they stood. A later global option wins over an earlier one, so a value given
 * after the command name overrides one given before it.
 */
final class Args {
    static final List<CommandSpec.Opt> GLOBAL = List.of(
            CommandSpec.value("--sysfs", "DIR", "sysfs tree to read (default /sys; env PCIPASS_SYSFS)"),
            CommandSpec.value("--config-root", "DIR", "root for /etc, /proc, /dev, /lib/modules, /boot, /run"
                    + " (default /; env PCIPASS_CONFIG_ROOT)"),
            CommandSpec.value("--state-dir", "DIR", "pcipass's own state (default /var/lib/pcipass;"
                    + " env PCIPASS_STATE_DIR)"),
            CommandSpec.value("--pci-ids", "FILE", "pci.ids to name devices with (default /usr/share/misc/pci.ids,"
                    + " /usr/share/hwdata/pci.ids, then a bundled copy; env PCIPASS_PCI_IDS)"));

    String command;
    boolean help;
    boolean version;
    final Map<String, String> globals = new HashMap<>();
    final Set<String> flags = new HashSet<>();
    final Map<String, String> values = new HashMap<>();
    final List<String> positionals = new ArrayList<>();

    boolean flag(String name) {
        return flags.contains(name);
    }

    String value(String name) {
        return values.get(name);
    }

    /**
     * Parses {@code argv} against the known commands.
     *
     * @throws PcipassException.BadInput naming the word that is wrong and where help is
     */
    static Args parse(String[] argv, Map<String, CommandSpec> commands) {
        Args a = new Args();
        CommandSpec spec = null;
        boolean onlyPositionals = false;
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (onlyPositionals || !arg.startsWith("-") || arg.equals("-")) {
                if (spec == null) {
                    spec = commands.get(arg);
                    if (spec == null) {
                        throw new PcipassException.BadInput("unknown command '" + arg + "'; the commands are "
                                + String.join(", ", commands.keySet()) + " (see 'pcipass --help')");
                    }
                    a.command = arg;
                } else {
                    a.positionals.add(arg);
                }
                continue;
            }
            if (arg.equals("--")) {
                onlyPositionals = true;
                continue;
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                a.help = true;
                continue;
            }
            if (spec == null && (arg.equals("--version") || arg.equals("-V"))) {
                a.version = true;
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            CommandSpec.Opt global = find(GLOBAL, name);
            CommandSpec.Opt opt = global != null ? global : spec == null ? null : spec.option(name);
            if (opt == null) {
                throw new PcipassException.BadInput("unknown option '" + name + "'"
                        + (spec == null ? "" : " for 'pcipass " + spec.name() + "'") + " (see '" + helpName(spec)
                        + " --help')");
            }
            if (!opt.takesValue()) {
                if (eq > 0) {
                    throw new PcipassException.BadInput(name + " takes no value (see '" + helpName(spec) + " --help')");
                }
                a.flags.add(name);
                continue;
            }
            String value;
            if (eq > 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < argv.length) {
                value = argv[++i];
            } else {
                throw new PcipassException.BadInput(name + " needs a value: " + name + " " + opt.valueLabel()
                        + " (see '" + helpName(spec) + " --help')");
            }
            (global != null ? a.globals : a.values).put(name, value);
        }
        if (spec != null && !a.help) {
            checkArity(spec, a.positionals);
        }
        return a;
    }

    private static void checkArity(CommandSpec spec, List<String> positionals) {
        String help = " (see 'pcipass " + spec.name() + " --help')";
        switch (spec.arity()) {
            case NONE -> {
                if (!positionals.isEmpty()) {
                    throw new PcipassException.BadInput("'pcipass " + spec.name() + "' takes no argument, got '"
                            + positionals.get(0) + "'" + help);
                }
            }
            case ONE -> {
                if (positionals.size() != 1) {
                    throw new PcipassException.BadInput("'pcipass " + spec.name() + "' needs exactly one "
                            + spec.positional() + (positionals.isEmpty() ? "" : ", got " + positionals.size()) + help);
                }
            }
            case MANY -> {
                if (positionals.isEmpty()) {
                    throw new PcipassException.BadInput("'pcipass " + spec.name() + "' needs at least one "
                            + spec.positional() + help);
                }
            }
        }
    }

    private static CommandSpec.Opt find(List<CommandSpec.Opt> opts, String name) {
        for (CommandSpec.Opt o : opts) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    private static String helpName(CommandSpec spec) {
        return spec == null ? "pcipass" : "pcipass " + spec.name();
    }
}
