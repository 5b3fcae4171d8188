package org.pcipass.cli;

/** One pcipass command: its spec for parsing and help, and what it does. Returns the exit code. */
interface Command {
    CommandSpec spec();

    int run(Args args, Context ctx);
}
