package org.pcipass.cli;

import java.util.List;

/** {@code --help} text, made from the command specs. */
final class Help {
    private Help() {}

    static String top(List<Command> commands) {
        StringBuilder b = new StringBuilder();
        b.append("Usage: pcipass [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n");
        b.append("PCI passthrough manager for Xen and KVM hosts.\n\nCommands:\n");
        for (Command c : commands) {
            b.append(String.format("  %-13s %s%n", c.spec().name(), c.spec().summary()));
        }
        globals(b);
        b.append("  -h, --help             this help; 'pcipass COMMAND --help' for one command\n");
        b.append("  -V, --version          print the version\n");
        exitCodes(b);
        return b.toString();
    }

    static String command(CommandSpec spec) {
        StringBuilder b = new StringBuilder("Usage: ").append(spec.synopsis()).append("\n");
        b.append(spec.summary()).append("\n");
        if (!spec.options().isEmpty()) {
            b.append("\nOptions:\n");
            for (CommandSpec.Opt o : spec.options()) {
                option(b, o);
            }
        }
        globals(b);
        for (String note : spec.notes()) {
            b.append('\n').append(note).append('\n');
        }
        exitCodes(b);
        return b.toString();
    }

    private static void globals(StringBuilder b) {
        b.append("\nGlobal options (before or after the command):\n");
        for (CommandSpec.Opt o : Args.GLOBAL) {
            option(b, o);
        }
    }

    private static void option(StringBuilder b, CommandSpec.Opt o) {
        String left = o.name() + (o.takesValue() ? " " + o.valueLabel() : "");
        b.append(String.format("  %-22s %s%n", left, o.description()));
    }

    private static void exitCodes(StringBuilder b) {
        b.append("\nExit codes: 0 done, 1 the operation failed, 2 bad input or usage, 3 refused by policy,"
                + " 4 check found a FAIL.\n");
    }
}
