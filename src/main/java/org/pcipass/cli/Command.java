package org.pcipass.cli;

/** One pcipass command: its spec for parsing and help, and what it does. Returns the exit code. */
interface Command {
    CommandSpec spec();

    int run(Args args, Context ctx);

    /** How this run uses the state dir, checked before it runs; most commands never read it. */
    default StateDirCheck.Use stateDirUse(Args args) {
        return StateDirCheck.Use.NONE;
    }
}
