package org.pcipass.http;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.pcipass.cli.Caller;
import org.pcipass.cli.Context;
import org.pcipass.cli.Main;

/**
 * Runs pcipass commands inside the server, exactly as the CLI runs them (the same parser, planner,
 * executor, host lock, store and JSON), with the server's global options and captured output: the
 * API is the CLI behind HTTP, so the two never disagree.
 */
final class Runner {
    /** What one command printed and how it ended. */
    record Result(int exit, String out, String err) {
        /** The command's error: its last line on stderr that is not a warning, without the "pcipass: " prefix. */
        /** The command's warnings on stderr, without the "pcipass: warning: " prefix. */
        List<String> warnings() {
            return err.lines().filter(l -> l.startsWith("pcipass: warning: "))
                    .map(l -> l.substring("pcipass: warning: ".length())).toList();
        }

        String error() {
            List<String> lines = err.lines().filter(l -> l.startsWith("pcipass: ") && !l.startsWith("pcipass: warning: "))
                    .toList();
            String last = lines.isEmpty() ? err.strip() : lines.get(lines.size() - 1).substring("pcipass: ".length());
            return last.isEmpty() ? "pcipass exited " + exit : last;
        }
    }

    private final Context base;
    private final List<String> globals;

    /** @param globals the server's global options ({@code --sysfs DIR} …), added to every command */
    Runner(Context base, List<String> globals) {
        this.base = base;
        this.globals = List.copyOf(globals);
    }

    Result run(Caller caller, List<String> argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, false, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> all = new ArrayList<>(globals);
        all.addAll(argv);
        int exit = Main.run(all.toArray(String[]::new), base.withCaller(caller, o, e));
        o.flush();
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
