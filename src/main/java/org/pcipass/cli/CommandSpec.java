package org.pcipass.cli;

import java.util.List;

/**
 * What a command accepts and how it is described in {@code --help}.
 *
 * <p>pcipass parses its own command line: a full argument-parsing framework cost more start-up
 * time than a listing of four thousand devices (see bench/README.md), and the grammar here is
 * small: global options anywhere, one command name, its flags and options, its positionals.
 */
record CommandSpec(String name, String summary, List<Opt> options, String positional, Arity arity,
        List<String> notes) {

    enum Arity { NONE, ONE, MANY }

    /** An option: {@code --json} (a flag) or {@code --driver D} (takes a value). */
    record Opt(String name, String valueLabel, String description) {
        boolean takesValue() {
            return valueLabel != null;
        }
    }

    static Opt flag(String name, String description) {
        return new Opt(name, null, description);
    }

    static Opt value(String name, String label, String description) {
        return new Opt(name, label, description);
    }

    Opt option(String name) {
        for (Opt o : options) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    String synopsis() {
        StringBuilder b = new StringBuilder("pcipass ").append(name);
        if (arity != Arity.NONE) {
            b.append(' ').append(positional).append(arity == Arity.MANY ? "..." : "");
        }
        for (Opt o : options) {
            b.append(" [").append(o.name()).append(o.takesValue() ? " " + o.valueLabel() : "").append(']');
        }
        return b.toString();
    }
}
